"""The queue: tickets, counters, calls, displays, voice and printer commands (QUEUE-1..6)."""
