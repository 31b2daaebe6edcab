"""Citizen ratings: binding, follow-up, statistics (RATE-1..RATE-4)."""
