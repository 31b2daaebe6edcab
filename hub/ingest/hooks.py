"""The seams between ingest and the rest of the hub: commit hooks and projectors.

Ingest commits the facts of a batch, acknowledges them, runs each CommitHook (quick work that
must follow the commit, e.g. telling devices what is stored), then hands the batch to each
registered Projector. A projector derives its records from facts in its own transaction; if it
fails, the facts are safe and the records can be recomputed from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

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
    heartbeats: Sequence[Envelope] = field(default_factory=tuple)
    """The batch's heartbeats: not facts, not in the fact log (no position); for live
    projectors such as fleet health (durable lanes read `events` only)."""
    stored_upto: Mapping[tuple[str, str], int] = field(default_factory=dict)
    """Per (hall, device) that sent facts in the batch (new or repeated): a seq up to which the
    log holds every fact of that device, as of this batch's commit (conservative: a sequence
    gap that is only partly filled still counts as open from its first seq)."""
    received: Mapping[str, datetime] = field(default_factory=dict)
    """Facts read back from the log (a lane catching up or retrying): when each reached the
    hub, by event id. A live batch's facts all reached it at `received_at`."""

    def received_of(self, env: Envelope) -> datetime | None:
        """When a fact of this batch reached the hub (None if not known)."""
        return self.received.get(env.id, self.received_at)


class Projector(Protocol):
    """A domain engine fed by ingest after each committed batch.

    A projector that derives durable records from facts declares them, and ingest then keeps
    its records complete (hub.ingest.projection): `facts`, a frozenset of the EventTypes it
    reads, makes it a lane with a durable cursor over the fact log, caught up after a crash,
    a restart or a failure; a fact it fails on is retried with back-off, alerted after a few
    tries, and the facts behind it wait only if they have the same key (`fact_key(env)`,
    default the hall). Such a projector must be idempotent per fact (applying a fact twice
    changes nothing): after a crash between its commit and its cursor's, facts are applied
    again. A projector without `facts` (device health, live pages) only sees live batches.
    """

    name: str

    def project(self, engine: Engine, batch: IngestBatch) -> None:
        """Derive records from the batch's facts (open your own session on `engine`)."""


class AlertSink(Protocol):
    """Where ingest raises the alerts an operator must see (the hub gives its alert desk)."""

    def raise_alert(
        self, hall: str, device: str, kind: str, *, words: str, values: Mapping[str, Any]
    ) -> None:
        """Raise the device's incident of this kind (one open alert per device and kind),
        worded by the catalogue key `words` with `values`."""

    def clear_alert(self, hall: str, device: str, kind: str) -> None:
        """Resolve the open alert of this device and kind, if any."""


class CommitHook(Protocol):
    """Quick work run on the ingest writer thread right after a batch is committed and acked."""

    def committed(self, batch: IngestBatch) -> None:
        """React to a committed batch (errors are logged and counted, never raised to ingest)."""
