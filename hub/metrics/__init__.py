"""Prometheus metrics of the hub: `/metrics` in the text exposition format."""
