"""Queue statistics from queue events (QUEUE-5). Pure: plain values in, plain values out.

Waiting time is first call minus issue; service time is finish minus start (acceptance), or
minus the call when start was never pressed. No-show rate is no-shows over tickets that
ended (finished or no-show). Groups: service, window, staff member, hour of issue (hall time).
即办件: an immediate service finished, or still open, more than `limit_min` after acceptance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from statistics import mean
from zoneinfo import ZoneInfo

from hub.queue.engine import EventKind, QueueEvent
from hub.queue.model import Ticket, TicketState


@dataclass(slots=True)
class TicketRecord:
    """One ticket's life as the events tell it."""

    day: str
    number: str
    service: str
    issued_at: datetime
    green: bool = False
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    window: str | None = None
    staff: str | None = None
    calls: int = 0
    no_show: bool = False

    @property
    def wait_s(self) -> float | None:
        """Seconds from issue to the first call."""
        return (self.called_at - self.issued_at).total_seconds() if self.called_at else None

    @property
    def service_s(self) -> float | None:
        """Seconds from acceptance (start, else call) to finish."""
        begin = self.started_at or self.called_at
        if self.finished_at is None or begin is None:
            return None
        return (self.finished_at - begin).total_seconds()


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Figures of one group (a service, window, staff member or hour)."""

    key: str
    tickets: int
    served: int
    no_shows: int
    no_show_rate: float | None
    mean_wait_s: float | None
    max_wait_s: float | None
    mean_service_s: float | None


@dataclass(frozen=True, slots=True)
class OverLimit:
    """An immediate case (即办件) over the limit (QUEUE-5)."""

    day: str
    ticket: str
    service: str
    window: str | None
    accepted_at: datetime
    minutes: float
    finished: bool


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Everything the statistics page shows."""

    total: GroupStats
    by_service: list[GroupStats] = field(default_factory=list)
    by_window: list[GroupStats] = field(default_factory=list)
    by_staff: list[GroupStats] = field(default_factory=list)
    by_hour: list[GroupStats] = field(default_factory=list)
    over_limit: list[OverLimit] = field(default_factory=list)


def records(events: Iterable[QueueEvent], tz: ZoneInfo) -> list[TicketRecord]:
    """Rebuild each ticket's record from events (any number of days, in seq order)."""
    out: dict[tuple[str, str], TicketRecord] = {}
    day = ""
    for ev in sorted(events, key=lambda e: e.seq):
        if ev.kind is EventKind.DAY_RESET:
            day = str(ev.data["day"])
            continue
        if not ev.ticket:
            continue
        d = day or ev.at.astimezone(tz).date().isoformat()
        if ev.kind is EventKind.ISSUED:
            out[(d, ev.ticket)] = TicketRecord(
                d, ev.ticket, ev.service or "", ev.at, green=bool(ev.data.get("green"))
            )
            continue
        r = out.get((d, ev.ticket))
        if r is None:
            continue
        if ev.kind is EventKind.CALLED:
            r.calls += 1
            r.called_at = r.called_at or ev.at
            r.window = ev.window
            r.staff = ev.data.get("staff") or r.staff
            r.no_show = False
        elif ev.kind is EventKind.STARTED:
            r.started_at = ev.at
        elif ev.kind is EventKind.FINISHED:
            r.finished_at = ev.at
        elif ev.kind is EventKind.NO_SHOW:
            r.no_show = True
        elif ev.kind is EventKind.REACTIVATED:
            r.no_show = False
        elif ev.kind is EventKind.TRANSFERRED and ev.data.get("to_service"):
            r.service = str(ev.data["to_service"])
    return list(out.values())


def _group(key: str, rs: list[TicketRecord]) -> GroupStats:
    waits = [w for r in rs if (w := r.wait_s) is not None]
    services = [s for r in rs if (s := r.service_s) is not None]
    served = sum(1 for r in rs if r.finished_at is not None)
    no_shows = sum(1 for r in rs if r.no_show)
    ended = served + no_shows
    return GroupStats(
        key=key,
        tickets=len(rs),
        served=served,
        no_shows=no_shows,
        no_show_rate=round(no_shows / ended, 4) if ended else None,
        mean_wait_s=round(mean(waits), 1) if waits else None,
        max_wait_s=max(waits) if waits else None,
        mean_service_s=round(mean(services), 1) if services else None,
    )


def _by(rs: list[TicketRecord], key: Callable[[TicketRecord], str | None]) -> list[GroupStats]:
    groups: dict[str, list[TicketRecord]] = {}
    for r in rs:
        k = key(r)
        if k is not None:
            groups.setdefault(k, []).append(r)
    return [_group(k, v) for k, v in sorted(groups.items())]


def over_limit(
    rs: Iterable[TicketRecord], immediate: set[str], now: datetime, limit_min: int = 30
) -> list[OverLimit]:
    """Immediate cases finished, or still open at `now`, over `limit_min` after acceptance."""
    out = []
    for r in rs:
        begin = r.started_at or r.called_at
        if r.service not in immediate or begin is None or r.no_show:
            continue
        end = r.finished_at or now
        minutes = (end - begin).total_seconds() / 60
        if minutes > limit_min:  # rule QUEUE-5
            out.append(
                OverLimit(
                    r.day,
                    r.number,
                    r.service,
                    r.window,
                    begin,
                    round(minutes, 1),
                    r.finished_at is not None,
                )
            )
    return out


def compute(
    events: Iterable[QueueEvent],
    tz: ZoneInfo,
    *,
    immediate: set[str],
    now: datetime,
    limit_min: int = 30,
) -> QueueStats:
    """All the figures for a set of events."""
    rs = records(events, tz)
    return QueueStats(
        total=_group("total", rs),
        by_service=_by(rs, lambda r: r.service),
        by_window=_by(rs, lambda r: r.window),
        by_staff=_by(rs, lambda r: r.staff),
        by_hour=_by(rs, lambda r: f"{r.day} {r.issued_at.astimezone(tz):%H}:00"),
        over_limit=over_limit(rs, immediate, now, limit_min),
    )


@dataclass(frozen=True, slots=True)
class DayGlance:
    """The day so far at a glance (the hall map's figures, QUEUE-5)."""

    tickets: int
    served: int
    waiting: int
    longest_wait_s: float | None
    """Issue to first call, the longest of the day; a ticket still waiting counts until now."""
    longest_ticket: str | None
    longest_still_waiting: bool


def day_glance(tickets: Iterable[Ticket], now: datetime) -> DayGlance:
    """Tickets taken, served and waiting today, and the longest wait so far."""
    count = served = waiting = 0
    longest: tuple[float, str, bool] | None = None
    for t in tickets:
        count += 1
        served += t.state is TicketState.DONE
        waiting += t.state is TicketState.WAITING
        still = t.called_at is None and t.state is TicketState.WAITING
        end = t.called_at or (now if still else None)
        if end is None:
            continue
        wait = max(0.0, (end - t.issued_at).total_seconds())
        if longest is None or wait > longest[0]:
            longest = (wait, t.number, still)
    return DayGlance(
        tickets=count,
        served=served,
        waiting=waiting,
        longest_wait_s=longest[0] if longest else None,
        longest_ticket=longest[1] if longest else None,
        longest_still_waiting=bool(longest and longest[2]),
    )
