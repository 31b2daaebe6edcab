"""Complaints (DUTY-6) and call-backs of citizens whose matter could not be handled (DEV-4)."""
