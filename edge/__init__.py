"""The hallkeeper edge agent: runs a Pi's device drivers and talks MQTT to the hub."""

__version__ = "0.1.0"
