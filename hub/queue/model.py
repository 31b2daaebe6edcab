"""The queue's plain values: tickets, events, services, counters, settings. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo


class QueueError(ValueError):
    """A request the queue refuses: the reason in plain English (logs), and a message-catalogue
    key with its values (what the counter, the desk or the API's caller reads)."""

    def __init__(self, message: str, key: str = "queue.err.refused", **values: object) -> None:
        """`message` for logs; `key` and `values` for the reader's words."""
        super().__init__(message)
        self.key = key
        self.values = values


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
    CASE_LINKED = "case_linked"


@dataclass(frozen=True, slots=True)
class ServiceDef:
    """A service with its ticket prefix (A -> A012); `immediate` is 即办件, otherwise a promised
    case (承诺件) finished within `promised_days` working days of acceptance (QUEUE-5)."""

    code: str
    name: str
    prefix: str
    immediate: bool = True
    promised_days: int | None = None


@dataclass(frozen=True, slots=True)
class CounterDef:
    """A window (counter) and the services it serves, each with a weight (default 1)."""

    window: str
    number: int
    services: dict[str, float]


@dataclass(frozen=True, slots=True)
class ClosingTimes:
    """When the hall stops issuing numbers (QUEUE-6): one time, or one per season.

    The seasons are the hall policy's (ATT-2: summer from `summer_start` to the day before
    `winter_start`, "MM-DD"); `fixed`, when set, wins over both.
    """

    fixed: time | None = None
    summer: time | None = None
    winter: time | None = None
    summer_start: str = "05-01"
    winter_start: str = "10-01"

    def on(self, day: date) -> time | None:
        """The closing time of one day (None: the hall publishes none)."""
        if self.fixed is not None:
            return self.fixed
        summer = self.summer_start <= f"{day.month:02d}-{day.day:02d}" < self.winter_start
        return self.summer if summer else self.winter


@dataclass(frozen=True, slots=True)
class QueueSettings:
    """Policy settings of one hall's queue; every number is a setting, not a constant."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    closing_time: time | None = None  # rule QUEUE-6: no tickets after it; those before are served
    max_recalls: int = 2
    default_service_s: float = 300.0
    immediate_limit_min: int = 30  # rule QUEUE-5
    closing: ClosingTimes = field(default_factory=ClosingTimes)  # rule QUEUE-6, by season
    promise_warn_hours: float = 4.0  # rule QUEUE-5: alert this long before a promise is due
    early_stop_grace_min: int = 10  # rule QUEUE-6 (POST-1: a short leave is not a stop)

    def closing_on(self, day: date) -> time | None:
        """The day's closing time: `closing_time` when set, else the seasonal one (QUEUE-6)."""
        return self.closing_time if self.closing_time is not None else self.closing.on(day)


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
    case_no: str | None = None  # 办件编号, when the window's system gives one


@dataclass(slots=True)
class Counter:
    """A window's live state: paused (since when, why), and the ticket it called or serves."""

    spec: CounterDef
    paused: bool = False
    current: str | None = None
    paused_at: datetime | None = None
    pause_reason: str | None = None
