"""What the queue API returns (Public models, apart from the tables and the engine's objects)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.api.public import Public


class QueueEventPublic(Public):
    """One change of the queue, in order (`seq`); `data` holds the kind's own details."""

    seq: int
    kind: str
    at: str
    ticket: str | None
    service: str | None
    window: str | None
    data: dict[str, Any]


class OutcomePublic(Public):
    """What a counter action, a reactivation or a case number changed."""

    events: list[QueueEventPublic]


class TicketIssuedPublic(Public):
    """A ticket taken: its number, the people ahead, the estimated wait (QUEUE-1)."""

    ticket: str | None
    service: str
    ahead: int
    est_wait_min: int
    issued_at: str
    events: list[QueueEventPublic]


class CallPublic(Public):
    """A recent call as the hall screen shows it (QUEUE-4)."""

    ticket: str | None
    window: str | None
    number: int
    at: str
    text: str


class WaitingPublic(Public):
    """A service: how many wait, and the estimated wait."""

    service: str
    name: str
    prefix: str
    waiting: int
    est_wait_min: int


class CounterPublic(Public):
    """A window's counter: paused (and why, DEV-4), the ticket it serves and its state."""

    window: str
    number: int
    paused: bool
    pause_reason: str | None
    current: str | None
    state: str | None


class TicketPublic(Public):
    """A ticket of the day and where it is."""

    ticket: str
    service: str
    state: str
    green: bool
    window: str | None
    issued_at: str


class QueueStatePublic(Public):
    """The live queue: latest calls, waiting per service, counters, hall-wide notices."""

    hall: str
    name: str
    day: str | None
    calls: list[CallPublic]
    waiting: list[WaitingPublic]
    counters: list[CounterPublic]
    notices: list[str]
    tickets: list[TicketPublic]


class GroupStatsPublic(Public):
    """Figures of one group: a service, window, staff member or hour."""

    key: str
    tickets: int
    served: int
    no_shows: int
    no_show_rate: float | None
    mean_wait_s: float | None
    max_wait_s: float | None
    mean_service_s: float | None


class OverLimitPublic(Public):
    """An immediate case (即办件) over the limit (QUEUE-5)."""

    day: str
    ticket: str
    service: str
    window: str | None
    accepted_at: str
    minutes: float
    finished: bool


class QueueStatsPublic(Public):
    """Waiting, service and no-shows by service, window, staff and hour; cases over limit."""

    hall: str
    start: str
    end: str
    total: GroupStatsPublic
    by_service: list[GroupStatsPublic]
    by_window: list[GroupStatsPublic]
    by_staff: list[GroupStatsPublic]
    by_hour: list[GroupStatsPublic]
    over_limit: list[OverLimitPublic]


class PromisedCasePublic(Public):
    """A promised case (承诺件) and its due time (QUEUE-5)."""

    id: int
    hall: str
    day: str
    ticket: str
    service: str
    window: str | None
    staff: str | None
    case_no: str | None
    accepted_at: datetime
    due_at: datetime
    completed_at: datetime | None
    completed_by: str | None
    note: str


class QueueAlertPublic(Public):
    """A queue alert: an immediate case over 30 minutes, a promise due (QUEUE-5), an early
    stop (QUEUE-6)."""

    id: int
    hall: str
    kind: str
    rule: str
    ref: str
    window: str | None
    ticket: str | None
    text: str
    at: datetime
