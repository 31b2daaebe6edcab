"""The hallkeeper hub: MQTT ingest, storage, domain engines, API, dashboard, reports."""

__version__ = "0.1.0"
