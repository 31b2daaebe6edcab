"""MQTT ingest: validate, store facts idempotently, acknowledge after commit, then project."""
