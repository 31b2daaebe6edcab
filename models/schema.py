"""JSON Schema export of the contract (`hallkeeper contract schema`)."""

from __future__ import annotations

from typing import Any

from models import CONTRACT_VERSION
from models.ack import StoredUpTo
from models.commands import Command
from models.config import ConfigDocument
from models.devices import KINDS
from models.envelope import MAX_EVENT_BYTES, Envelope


def contract_schema() -> dict[str, Any]:
    """One JSON document with the schema of every message of contract v1."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"hallkeeper MQTT contract v{CONTRACT_VERSION}",
        "topics": {
            "evt": "hk/v1/{hall}/{device}/evt  edge->hub  Envelope (facts), QoS 1",
            "hb": "hk/v1/{hall}/{device}/hb  edge->hub  Envelope(type=heartbeat)",
            "state": "hk/v1/{hall}/{device}/state  edge->hub  retained 'online'/'offline' (LWT)",
            "cfg": "hk/v1/{hall}/{device}/cfg  hub->edge  retained ConfigDocument",
            "cmd": "hk/v1/{hall}/{device}/cmd  hub->edge  Command",
            "ack": "hk/v1/{hall}/{device}/ack  hub->edge  retained StoredUpTo, after the commit",
        },
        "max_event_bytes": MAX_EVENT_BYTES,
        "device_kinds": {
            kind: {
                "label": {"zh-CN": spec.label_zh, "en": spec.label_en},
                "opening_check": spec.opening_check,
                "may_send": sorted(spec.may_send),
                "takes": sorted(spec.accepts),
            }
            for kind, spec in KINDS.items()
        },
        "messages": {
            "Envelope": Envelope.model_json_schema(),
            "Command": Command.model_json_schema(),
            "ConfigDocument": ConfigDocument.model_json_schema(),
            "StoredUpTo": StoredUpTo.model_json_schema(),
        },
    }
