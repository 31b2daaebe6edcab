"""The hub's acknowledgement to a device: every fact of it up to `seq` is stored (issue 21).

The hub publishes it retained, QoS 1, on the device's own `ack` topic (models/topics.py) after
the database commit, never before. The edge keeps each fact in its outbox until an
acknowledgement covers it; the broker's PUBACK only paces the sending, so a broker that loses
its queue (kill -9, power cut, an empty replacement) costs nothing: the facts are sent again.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from models.base import WireModel, decode_object, validate
from models.envelope import MAX_SEQ

MAX_ACK_BYTES = 256
"""Largest acknowledgement accepted (it is a few dozen bytes)."""


class StoredUpTo(WireModel):
    """Every fact of the device with a seq up to `seq` is stored on the hub."""

    v: Literal[1] = Field(default=1, description="Contract version")
    seq: int = Field(ge=0, le=MAX_SEQ, description="Highest seq below which nothing is missing")

    def to_json(self) -> bytes:
        """The bytes sent on the wire."""
        return self.json_text().encode()


def parse_ack(payload: bytes) -> StoredUpTo:
    """Parse an acknowledgement off the wire, or raise ContractError saying why."""
    return validate(StoredUpTo, decode_object(payload, MAX_ACK_BYTES))
