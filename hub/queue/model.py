"""The queue's plain values: tickets, events, services, counters, settings. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo


class QueueError(ValueError):
    """A request the queue refuses, with the reason in plain words."""


class TicketState(StrEnum):
    """Where a ticket is in its life."""

    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    PARKED = "parked"
    NO_SHOW = "no_show"
    DONE = "done"
    EXPIRED = "expired"


class EventKind(StrEnum):
    """Every kind of queue change."""

    ISSUED = "issued"
    CALLED = "called"
    RECALLED = "recalled"
    SKIPPED = "skipped"
    NO_SHOW = "no_show"
    REACTIVATED = "reactivated"
    TRANSFERRED = "transferred"
    PARKED = "parked"
    STARTED = "started"
    FINISHED = "finished"
    PAUSED = "paused"
    RESUMED = "resumed"
    EXPIRED = "expired"
    DAY_RESET = "day_reset"


@dataclass(frozen=True, slots=True)
class ServiceDef:
    """A service with its ticket prefix (A -> A012); `immediate` is 即办件 (QUEUE-5)."""

    code: str
    name: str
    prefix: str
    immediate: bool = True


@dataclass(frozen=True, slots=True)
class CounterDef:
    """A window (counter) and the services it serves, each with a weight (default 1)."""

    window: str
    number: int
    services: dict[str, float]


@dataclass(frozen=True, slots=True)
class QueueSettings:
    """Policy settings of one hall's queue; every number is a setting, not a constant."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    closing_time: time | None = None  # rule QUEUE-6: no tickets after it; those before are served
    max_recalls: int = 2
    default_service_s: float = 300.0
    immediate_limit_min: int = 30  # rule QUEUE-5


@dataclass(frozen=True, slots=True)
class QueueEvent:
    """One change of the queue, with its time (QUEUE-5)."""

    seq: int
    kind: EventKind
    at: datetime
    ticket: str | None = None
    service: str | None = None
    window: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Ticket:
    """One ticket's current state."""

    number: str
    service: str
    issued_at: datetime
    place: datetime  # ordering key; kept across transfers (QUEUE-3)
    green: bool = False
    state: TicketState = TicketState.WAITING
    window: str | None = None
    target_window: str | None = None
    recalls: int = 0
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    staff: str | None = None


@dataclass(slots=True)
class Counter:
    """A window's live state: paused, and the ticket it has called or is serving."""

    spec: CounterDef
    paused: bool = False
    current: str | None = None
