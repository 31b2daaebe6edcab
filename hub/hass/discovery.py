"""Home Assistant discovery documents and state topics for a hall's devices (pure).

State topics live under their own root, `hallkeeper/ha/{hall}/{device}/{key}` (built only by
`state_topic`), apart from the wire contract's `hk/v1/...` (whose five channels are the edge's).
Discovery documents go to `{prefix}/{component}/{node_id}/{object_id}/config`, retained.

Entities per device: `online` (binary_sensor, connectivity) and `outbox` (sensor, facts waiting
in the agent's outbox, from heartbeats); a kind that may send away-sign facts (models/devices/)
adds `away_sign` (binary_sensor: ON while the sign is out, rule POST-2), one that may send
presence adds `presence` (binary_sensor, occupancy).
Every entity is available while the hub's bridge says `online` on `hallkeeper/ha/status`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from models import devices
from models.events import EventType
from models.layout import Device, Hall

ROOT = "hallkeeper/ha"
STATUS_TOPIC = f"{ROOT}/status"
"""The bridge's availability: retained `online` while the hub publishes, `offline` after."""
ON, OFF = "ON", "OFF"


@dataclass(frozen=True, slots=True)
class Entity:
    """One Home Assistant entity of one device."""

    component: str  # binary_sensor | sensor
    key: str
    name: str
    device_class: str | None = None
    unit: str | None = None


BASE_ENTITIES = (
    Entity("binary_sensor", "online", "Online", "connectivity"),
    Entity("sensor", "outbox", "Outbox depth", None, "facts"),
)
FACT_ENTITIES: dict[EventType, Entity] = {
    EventType.AWAY_SIGN_PLACED: Entity("binary_sensor", "away_sign", "Away sign out", None),
    EventType.PRESENCE: Entity("binary_sensor", "presence", "Staff present", "occupancy"),
}
"""The entity a fact drives; a device has it when its kind may send that fact (models/devices/)."""


def state_topic(hall: str, device: str, key: str) -> str:
    """The one place HA state topics are built: hallkeeper/ha/{hall}/{device}/{key}."""
    for part in (hall, device, key):
        if not part or any(c in part for c in "/+#"):
            raise ValueError(f"not a topic level: {part!r}")
    return f"{ROOT}/{hall}/{device}/{key}"


def _ident(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def entities(device: Device) -> tuple[Entity, ...]:
    """The entities a device has."""
    extra = (e for fact, e in FACT_ENTITIES.items() if devices.may_send(device.kind, fact))
    return BASE_ENTITIES + tuple(extra)


def config_topic(prefix: str, hall: str, device: str, entity: Entity) -> str:
    """`{prefix}/{component}/{node_id}/{object_id}/config` of one entity."""
    node_id = _ident(f"hallkeeper_{hall}")
    object_id = _ident(f"{device}_{entity.key}")
    return f"{prefix}/{entity.component}/{node_id}/{object_id}/config"


def document(hall: Hall, device: Device, entity: Entity) -> dict[str, Any]:
    """The discovery document of one entity."""
    doc: dict[str, Any] = {
        "name": entity.name,
        "unique_id": _ident(f"hallkeeper_{hall.id}_{device.id}_{entity.key}"),
        "object_id": _ident(f"{hall.id}_{device.id}_{entity.key}"),
        "state_topic": state_topic(hall.id, device.id, entity.key),
        "availability_topic": STATUS_TOPIC,
        "device": {
            "identifiers": [_ident(f"hallkeeper_{hall.id}_{device.id}")],
            "name": f"{hall.name} {device.id}",
            "manufacturer": "hallkeeper",
            "model": device.kind,
            "suggested_area": hall.name,
        },
    }
    if entity.component == "binary_sensor":
        doc["payload_on"], doc["payload_off"] = ON, OFF
    if entity.device_class:
        doc["device_class"] = entity.device_class
    if entity.unit:
        doc["unit_of_measurement"] = entity.unit
        doc["state_class"] = "measurement"
    return doc


def discovery_documents(prefix: str, halls: list[Hall]) -> list[tuple[str, dict[str, Any]]]:
    """(topic, document) for every entity of every device of the halls."""
    return [
        (config_topic(prefix, hall.id, device.id, entity), document(hall, device, entity))
        for hall in halls
        for device in hall.devices
        for entity in entities(device)
    ]
