"""The seam between ingest and the domain engines (attendance, compliance, queue, ratings, fleet).

Ingest commits the facts of a batch, acknowledges them, then hands the batch to each
registered Projector. A projector derives its records from facts in its own transaction; if it
fails, the facts are safe and the records can be recomputed from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.engine import Engine

from models.envelope import Envelope


@dataclass(frozen=True, slots=True)
class DeviceState:
    """A device's retained state message: online, or offline (its LWT)."""

    hall: str
    device: str
    online: bool
    received_at: datetime


@dataclass(frozen=True, slots=True)
class IngestBatch:
    """What one committed batch added: new envelopes (duplicates removed) and state changes."""

    events: Sequence[Envelope] = field(default_factory=tuple)
    states: Sequence[DeviceState] = field(default_factory=tuple)
    received_at: datetime | None = None


class Projector(Protocol):
    """A domain engine fed by ingest after each committed batch."""

    name: str

    def project(self, engine: Engine, batch: IngestBatch) -> None:
        """Derive records from the batch's facts (open your own session on `engine`)."""
