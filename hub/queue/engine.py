"""The queue state machine: tickets, counters, calls (QUEUE-1..QUEUE-6). Pure: no I/O.

Every change is a QueueEvent with its time (QUEUE-5). Commands check and emit events; `apply`
alone changes state, so replaying stored events rebuilds the same queue after a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from hub.queue.model import (
    Counter,
    CounterDef,
    EventKind,
    QueueError,
    QueueEvent,
    QueueSettings,
    ServiceDef,
    Ticket,
    TicketState,
)

__all__ = [
    "Counter",
    "CounterDef",
    "EventKind",
    "QueueEngine",
    "QueueError",
    "QueueEvent",
    "QueueSettings",
    "ServiceDef",
    "Ticket",
    "TicketState",
]

logger = logging.getLogger(__name__)


class QueueEngine:
    """One hall's queue for one day; feed it commands, read its events."""

    def __init__(
        self,
        services: Sequence[ServiceDef],
        counters: Sequence[CounterDef],
        settings: QueueSettings | None = None,
    ) -> None:
        self.settings = settings or QueueSettings()
        self.services = {s.code: s for s in services}
        self.counters = {c.window: Counter(c) for c in counters}
        self.tickets: dict[str, Ticket] = {}
        self.events: list[QueueEvent] = []
        self.day: date | None = None
        self._next_number: dict[str, int] = {}
        self._seq = 0

    # ---- event application (the only place state changes) ----

    def apply(self, ev: QueueEvent) -> None:
        """Change state by one event (used live and for replay)."""
        self._seq = max(self._seq, ev.seq)
        self.events.append(ev)
        k, t = ev.kind, self.tickets.get(ev.ticket or "")
        if k is EventKind.DAY_RESET:
            self.day = date.fromisoformat(ev.data["day"])
            self.tickets.clear()
            self._next_number.clear()
            for c in self.counters.values():
                c.current = None
            return
        if self.day is None:
            self.day = ev.at.astimezone(self.settings.tz).date()
        if k is EventKind.ISSUED:
            assert ev.ticket and ev.service
            self.tickets[ev.ticket] = Ticket(
                ev.ticket, ev.service, ev.at, ev.at, green=bool(ev.data.get("green"))
            )
            self._next_number[ev.service] = int(ev.data["n"]) + 1
            return
        if k in (EventKind.PAUSED, EventKind.RESUMED):
            c = self.counters[ev.window or ""]
            c.paused = k is EventKind.PAUSED
            c.paused_at = ev.at if c.paused else None
            c.pause_reason = ev.data.get("reason") if c.paused else None
            return
        if t is None:
            raise QueueError(f"event {k.value} names unknown ticket {ev.ticket}")
        self._apply_ticket(ev, t)

    def _release(self, t: Ticket) -> None:
        c = self.counters.get(t.window or "")
        if c is not None and c.current == t.number:
            c.current = None

    def _apply_ticket(self, ev: QueueEvent, t: Ticket) -> None:
        k = ev.kind
        if k is EventKind.CALLED:
            t.state, t.window, t.called_at = TicketState.CALLED, ev.window, ev.at
            t.target_window = None
            t.staff = ev.data.get("staff") or t.staff
            self.counters[ev.window or ""].current = t.number
        elif k is EventKind.RECALLED:
            t.recalls += 1
        elif k is EventKind.SKIPPED:
            self._release(t)
            t.recalls += 1
            t.state, t.window, t.place = TicketState.WAITING, None, ev.at
        elif k is EventKind.NO_SHOW:
            self._release(t)
            t.state = TicketState.NO_SHOW
        elif k is EventKind.REACTIVATED:
            t.state, t.window, t.recalls, t.place = TicketState.WAITING, None, 0, ev.at
        elif k is EventKind.TRANSFERRED:
            self._release(t)
            t.state, t.window = TicketState.WAITING, None
            t.service = ev.data.get("to_service") or t.service
            t.target_window = ev.data.get("to_window")
        elif k is EventKind.PARKED:
            self._release(t)
            t.state = TicketState.PARKED
        elif k is EventKind.STARTED:
            t.state, t.started_at = TicketState.SERVING, ev.at
        elif k is EventKind.FINISHED:
            self._release(t)
            t.state, t.finished_at = TicketState.DONE, ev.at
            t.started_at = t.started_at or t.called_at
        elif k is EventKind.EXPIRED:
            self._release(t)
            t.state = TicketState.EXPIRED
        elif k is EventKind.CASE_LINKED:
            t.case_no = ev.data.get("case_no")

    def _emit(
        self,
        kind: EventKind,
        at: datetime,
        *,
        ticket: Ticket | None = None,
        window: str | None = None,
        **data: Any,
    ) -> QueueEvent:
        if at.tzinfo is None:
            raise QueueError("time must be timezone-aware")
        ev = QueueEvent(
            self._seq + 1,
            kind,
            at,
            ticket.number if ticket else None,
            ticket.service if ticket else None,
            window,
            {k: v for k, v in data.items() if v is not None},
        )
        self.apply(ev)
        return ev

    @property
    def last_seq(self) -> int:
        """The seq of the newest event this engine has made or replayed."""
        return self._seq

    def replay(self, events: Iterable[QueueEvent], last_seq: int = 0) -> None:
        """Rebuild state from stored events, in order; numbering goes on after `last_seq`."""
        for ev in sorted(events, key=lambda e: e.seq):
            self.apply(ev)
        self._seq = max(self._seq, last_seq)

    # ---- lookups ----

    def counter(self, window: str) -> Counter:
        """A window's live state, or QueueError."""
        try:
            return self.counters[window]
        except KeyError:
            raise QueueError(f"unknown window {window!r}", "queue.err.unknown_window") from None

    def ticket(self, number: str) -> Ticket:
        """A ticket of today, or QueueError."""
        try:
            return self.tickets[number]
        except KeyError:
            raise QueueError(
                f"no ticket {number} today", "queue.err.no_ticket", ticket=number
            ) from None

    def current(self, window: str) -> Ticket | None:
        """The ticket a window has called or is serving."""
        num = self.counter(window).current
        return self.tickets[num] if num else None

    def can_serve(self, t: Ticket, window: str) -> bool:
        """Whether `window` may call ticket `t` now (waiting, its service, or sent there)."""
        return self._eligible(t, window)

    def _eligible(self, t: Ticket, window: str) -> bool:
        if t.state is not TicketState.WAITING:
            return False
        if t.target_window is not None:
            return t.target_window == window
        return t.service in self.counters[window].spec.services

    def waiting(self, service: str | None = None) -> list[Ticket]:
        """Waiting tickets (optionally of one service) in calling order: green first, then place."""
        ts = [
            t
            for t in self.tickets.values()
            if t.state is TicketState.WAITING and (service is None or t.service == service)
        ]
        return sorted(ts, key=lambda t: (not t.green, t.place, t.number))

    def next_for(self, window: str, now: datetime) -> Ticket | None:
        """Which ticket `window` would call next (QUEUE-1, QUEUE-2, weights, transfers)."""
        spec = self.counter(window).spec
        cands = [t for t in self.tickets.values() if self._eligible(t, window)]
        if not cands:
            return None
        directed = [t for t in cands if t.target_window == window]
        if directed:  # rule QUEUE-3: sent here from another counter, keeps its place
            return min(directed, key=lambda t: (not t.green, t.place))
        green = [t for t in cands if t.green]
        if green:  # rule QUEUE-2: the green channel goes first
            return min(green, key=lambda t: t.place)

        def score(t: Ticket) -> tuple[float, datetime]:
            waited = max((now - t.place).total_seconds(), 0.0) + 1.0
            return (-waited * spec.services.get(t.service, 1.0), t.place)

        return min(cands, key=score)

    # ---- commands ----

    def roll_day(self, now: datetime) -> list[QueueEvent]:
        """Daily reset in the hall time zone: unfinished tickets expire, numbers restart."""
        today = now.astimezone(self.settings.tz).date()
        if self.day is None:
            return [self._emit(EventKind.DAY_RESET, now, day=today.isoformat())]
        if today <= self.day:
            return []
        out = [
            self._emit(EventKind.EXPIRED, now, ticket=t)
            for t in list(self.tickets.values())
            if t.state not in (TicketState.DONE, TicketState.EXPIRED, TicketState.NO_SHOW)
        ]
        out.append(self._emit(EventKind.DAY_RESET, now, day=today.isoformat()))
        return out

    def issue(
        self, service: str, now: datetime, *, green: bool = False, source: str | None = None
    ) -> list[QueueEvent]:
        """Issue the next ticket of a service (QUEUE-1); refused after closing (QUEUE-6)."""
        if service not in self.services:
            raise QueueError(f"unknown service {service!r}", "queue.err.unknown_service")
        if now.tzinfo is None:
            raise QueueError("time must be timezone-aware")
        out = self.roll_day(now)
        local = now.astimezone(self.settings.tz)
        close = self.settings.closing_on(local.date())
        if close is not None and local.time() >= close:
            raise QueueError(  # QUEUE-6
                f"the hall stopped issuing tickets at {close:%H:%M}",
                "queue.err.closed",
                time=f"{close:%H:%M}",
            )
        spec = self.services[service]
        n = self._next_number.get(service, 1)
        number = f"{spec.prefix}{n:03d}"
        ev = QueueEvent(
            self._seq + 1,
            EventKind.ISSUED,
            now,
            number,
            service,
            None,
            {"n": n, "green": green, **({"source": source} if source else {})},
        )
        self.apply(ev)
        return [*out, ev]

    def _close_current(self, window: str, now: datetime) -> list[QueueEvent]:
        cur = self.current(window)
        if cur is None:
            return []
        return [self._emit(EventKind.FINISHED, now, ticket=cur, window=window)]

    def call_next(
        self, window: str, now: datetime, *, staff: str | None = None
    ) -> list[QueueEvent]:
        """Finish the window's current ticket and call the next one (QUEUE-1, QUEUE-6)."""
        c = self.counter(window)
        if c.paused:
            raise QueueError(
                f"window {c.spec.number} is paused", "queue.err.paused", window=c.spec.number
            )
        out = self.roll_day(now)
        out += self._close_current(window, now)
        nxt = self.next_for(window, now)
        if nxt is None:
            return out
        out.append(self._emit(EventKind.CALLED, now, ticket=nxt, window=window, staff=staff))
        return out

    def call(
        self, window: str, number: str, now: datetime, *, staff: str | None = None
    ) -> list[QueueEvent]:
        """Call a given ticket to this window: waiting, parked, or a no-show who came back."""
        t = self.ticket(number)
        c = self.counter(window)
        if c.paused:
            raise QueueError(
                f"window {c.spec.number} is paused", "queue.err.paused", window=c.spec.number
            )
        if t.state not in (TicketState.WAITING, TicketState.PARKED, TicketState.NO_SHOW):
            raise QueueError(
                f"{number} is {t.state.value}, it cannot be called",
                "queue.err.not_callable",
                ticket=number,
            )
        out = [] if c.current == number else self._close_current(window, now)
        if t.state is TicketState.NO_SHOW:
            out.append(self._emit(EventKind.REACTIVATED, now, ticket=t))
        out.append(self._emit(EventKind.CALLED, now, ticket=t, window=window, staff=staff))
        return out

    def _need_current(self, window: str, *states: TicketState) -> Ticket:
        cur = self.current(window)
        if cur is None or (states and cur.state not in states):
            number = self.counter(window).spec.number
            raise QueueError(
                f"window {number} has no ticket to act on", "queue.err.no_current", window=number
            )
        return cur

    def recall(self, window: str, now: datetime) -> list[QueueEvent]:
        """Call the window's called ticket again, up to `max_recalls` times."""
        cur = self._need_current(window, TicketState.CALLED)
        if cur.recalls >= self.settings.max_recalls:
            raise QueueError(
                f"{cur.number} was recalled {cur.recalls} times already; skip it",
                "queue.err.recalls",
                ticket=cur.number,
                n=cur.recalls,
            )
        return [self._emit(EventKind.RECALLED, now, ticket=cur, window=window)]

    def skip(self, window: str, now: datetime) -> list[QueueEvent]:
        """The called citizen is not here: back of the line, or a no-show once recalls run out."""
        cur = self._need_current(window, TicketState.CALLED)
        if cur.recalls >= self.settings.max_recalls:
            return [self._emit(EventKind.NO_SHOW, now, ticket=cur, window=window)]
        return [self._emit(EventKind.SKIPPED, now, ticket=cur, window=window)]

    def reactivate(self, number: str, now: datetime) -> list[QueueEvent]:
        """A no-show citizen came back: the ticket waits again, at the back of the line."""
        t = self.ticket(number)
        if t.state is not TicketState.NO_SHOW:
            raise QueueError(
                f"{number} is {t.state.value}, not a no-show",
                "queue.err.not_no_show",
                ticket=number,
            )
        return [self._emit(EventKind.REACTIVATED, now, ticket=t)]

    def transfer(
        self,
        window: str | None,
        now: datetime,
        *,
        to_service: str | None = None,
        to_window: str | None = None,
        number: str | None = None,
    ) -> list[QueueEvent]:
        """Send the ticket to another service or counter keeping its place (QUEUE-3)."""
        if number is None and window is None:
            raise QueueError("transfer needs a window or a ticket", "queue.err.transfer_what")
        t = self.ticket(number) if number else self._need_current(window or "")
        if to_service is None and to_window is None:
            raise QueueError(
                "transfer needs a target service or window", "queue.err.transfer_where"
            )
        if to_service is not None and to_service not in self.services:
            raise QueueError(f"unknown service {to_service!r}", "queue.err.unknown_service")
        if to_window is not None:
            self.counter(to_window)
        if t.state in (TicketState.DONE, TicketState.EXPIRED):
            raise QueueError(
                f"{t.number} is {t.state.value}", "queue.err.ticket_state", ticket=t.number
            )
        return [
            self._emit(
                EventKind.TRANSFERRED,
                now,
                ticket=t,
                window=window,
                from_service=t.service,
                to_service=to_service,
                to_window=to_window,
            )
        ]

    def park(self, window: str, now: datetime) -> list[QueueEvent]:
        """Set the window's ticket aside (e.g. a document to fetch); call it again by number."""
        cur = self._need_current(window)
        return [self._emit(EventKind.PARKED, now, ticket=cur, window=window)]

    def start(self, window: str, now: datetime) -> list[QueueEvent]:
        """The called citizen arrived: service (acceptance) starts (QUEUE-5)."""
        cur = self._need_current(window, TicketState.CALLED)
        return [self._emit(EventKind.STARTED, now, ticket=cur, window=window)]

    def finish(self, window: str, now: datetime) -> list[QueueEvent]:
        """Service of the window's ticket is finished."""
        cur = self._need_current(window)
        return [self._emit(EventKind.FINISHED, now, ticket=cur, window=window)]

    def pause(self, window: str, now: datetime, reason: str | None = None) -> list[QueueEvent]:
        """Stop calling at a window (暂停服务), with the reason shown to citizens (DEV-4)."""
        c = self.counter(window)
        if c.paused and (reason is None or reason == c.pause_reason):
            return []
        return [self._emit(EventKind.PAUSED, now, window=window, reason=reason)]

    def resume(self, window: str, now: datetime) -> list[QueueEvent]:
        """Resume calling at a window."""
        c = self.counter(window)
        return [self._emit(EventKind.RESUMED, now, window=window)] if c.paused else []

    def link_case(self, number: str, case_no: str, now: datetime) -> list[QueueEvent]:
        """Bind the case number (办件编号) the window's system gave to a ticket (RATE-1)."""
        t = self.ticket(number)
        if t.window is None and t.called_at is None:
            raise QueueError(
                f"{number} has not been called to a window", "queue.err.not_called", ticket=number
            )
        if t.case_no == case_no:
            return []
        return [self._emit(EventKind.CASE_LINKED, now, ticket=t, window=t.window, case_no=case_no)]

    # ---- estimates ----

    def ahead(self, number: str) -> int:
        """How many tickets would be called before this one for its service."""
        t = self.ticket(number)
        order = self.waiting(t.service)
        return order.index(t) if t in order else 0

    def mean_service_s(self, service: str) -> float:
        """Mean service time of today's finished tickets of a service, or the default."""
        spans = [
            (t.finished_at - t.started_at).total_seconds()
            for t in self.tickets.values()
            if t.service == service and t.finished_at and t.started_at
        ]
        return sum(spans) / len(spans) if spans else self.settings.default_service_s

    def estimated_wait(self, service: str, ahead: int | None = None) -> timedelta:
        """Estimated wait of a new ticket: people ahead x mean service time / open counters."""
        if ahead is None:
            ahead = len(self.waiting(service))
        open_counters = sum(
            1 for c in self.counters.values() if not c.paused and service in c.spec.services
        )
        secs = ahead * self.mean_service_s(service) / max(open_counters, 1)
        return timedelta(seconds=round(secs))
