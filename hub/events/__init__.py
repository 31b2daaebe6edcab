"""Stored facts: the append-only event log, dead letters and sequence gaps, and their queries."""
