"""A small embedded MQTT v5 broker for the demo where mosquitto is missing; NOT for production.

Speaks exactly what hallkeeper's paho clients use (QoS 0/1, retained, wills, persistent
sessions, shared subscriptions, manual acknowledgement), keeps everything in memory, has no
authentication and no TLS. Use mosquitto (or another real broker) for a hall.
"""

from hub.demo.minibroker.server import EmbeddedBroker

__all__ = ["EmbeddedBroker"]
