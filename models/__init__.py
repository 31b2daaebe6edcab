"""The wire contract shared by edge and hub: topics, envelope, payloads, config documents.

Nothing here does I/O. Both sides import it; nothing else is shared between them.
"""

CONTRACT_VERSION = 1
"""Version of the MQTT contract (the `v1` in every topic and the `v` of every envelope)."""

__all__ = ["CONTRACT_VERSION"]
