"""The queue on the hub: kiosk and keypad facts in, engine decisions, device commands out.

QueueProjector implements hub.ingest.hooks.Projector. A TicketIssued from a kiosk issues a
number and prints it; a CallRequest from a counter keypad calls, recalls, skips, transfers...
Each change is stored (hub.queue.store) before the commands go out: the counter LED display
(`A012 请到3号窗口`), the hall screen, the voice (`请A012号到3号窗口办理`), the ticket printer.
The hall page gets the new snapshot by push (Broadcaster -> SSE).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from hub.attendance.calendar import WorkCalendar
from hub.commands import CommandSender
from hub.dashboard.i18n import DEFAULT_LANG, text
from hub.fleet.raised import FleetAlerts
from hub.ingest.hooks import IngestBatch
from hub.queue import cases, store
from hub.queue.announce import Announcer, call_text
from hub.queue.broadcast import Broadcaster
from hub.queue.desk import CitizenDesk, PendingPrint
from hub.queue.engine import (
    EventKind,
    QueueEngine,
    QueueError,
    QueueEvent,
    QueueSettings,
)
from hub.queue.halls import engine_for_hall
from hub.queue.notices import pause_reason_text
from hub.queue.stale import ALERT_KIND, SHOWN_WORDS, StaleWatch
from hub.queue.stats import DayGlance, day_glance
from models.envelope import Envelope
from models.events import (
    CallAction,
    CallRequest,
    CommandResult,
    DeviceFault,
    EventType,
    TicketIssued,
)
from models.layout import Hall

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a request did: its events, and the refusal reason when it was refused."""

    events: Sequence[QueueEvent]
    refused: str | None = None
    printing: PendingPrint | None = None
    refused_key: str = "queue.err.refused"
    """The refusal's catalogue key (QueueError.key); `refused_values` fill its words."""
    refused_values: Mapping[str, object] = field(default_factory=dict)


class QueueProjector:
    """The hall's live queue: fed by ingest (Projector) and by the API, persisted, announced."""

    name = "queue"
    facts = frozenset({EventType.TICKET_ISSUED, EventType.CALL_REQUEST})
    """Durable lane per hall (hub.ingest.lane): every ticket and key press decided, once, in
    the order the log holds them."""

    def __init__(
        self,
        db: Engine,
        sender: CommandSender,
        hall: Hall,
        settings: QueueSettings | None = None,
        weights: dict[str, dict[str, float]] | None = None,
        clock: Callable[[], datetime] | None = None,
        stale_call_s: float = 120.0,
        calendar: WorkCalendar | None = None,
        stale: StaleWatch | None = None,
    ) -> None:
        self.db = db
        self.stale_call_s = stale_call_s
        self.stale = stale or StaleWatch()  # who keeps sending stale presses (DEV-4)
        self.sender = sender
        self.hall = hall
        self.queue = engine_for_hall(hall, settings, weights)
        self.broadcaster = Broadcaster()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.calendar = calendar or WorkCalendar()
        self.lock = threading.RLock()
        self.recent_calls: list[dict[str, Any]] = []
        self.refusals = 0
        self.announcer = Announcer(hall, sender)
        self.alerts = FleetAlerts(db, self.clock)  # the hall's alert desk (hub.fleet)
        self.desk = CitizenDesk(
            hall,
            self.announcer,
            lambda: self.clock(),
            self.queue.settings.tz,
            on_change=self._desk_changed,
        )
        self.desk.restore(db)
        self.restore()

    def _desk_changed(self, message: dict[str, Any]) -> None:
        if self.broadcaster.listeners():
            self.broadcaster.publish(message)
            if message.get("type") == "notices":
                self.broadcaster.publish({"type": "snapshot", **self.snapshot()})

    # ---- state ----

    def restore(self) -> None:
        """Rebuild the queue from the stored events of its latest day (hub restart)."""
        with self.lock:
            fresh = engine_for_hall(
                self.hall,
                self.queue.settings,
                {c.spec.window: dict(c.spec.services) for c in self.queue.counters.values()},
            )
            events = store.latest_day_events(self.db, self.hall.id)
            fresh.replay(events, store.last_seq(self.db, self.hall.id))
            self.queue = fresh
            self.recent_calls = [
                self._call_entry(e)
                for e in events
                if e.kind in (EventKind.CALLED, EventKind.RECALLED)
            ][-10:]
        logger.info("queue of %s restored from %d events", self.hall.id, len(events))

    def _window_number(self, window: str | None) -> int:
        c = self.queue.counters.get(window or "")
        return c.spec.number if c else 0

    def _call_entry(self, ev: QueueEvent) -> dict[str, Any]:
        return {
            "ticket": ev.ticket,
            "window": ev.window,
            "number": self._window_number(ev.window),
            "at": ev.at.isoformat(),
            "text": call_text(ev.ticket or "", self._window_number(ev.window)),
        }

    def glance(self) -> DayGlance:
        """Today's tickets, served, waiting and the longest wait so far (the hall map)."""
        with self.lock:
            return day_glance(list(self.queue.tickets.values()), self.clock())

    def snapshot(self) -> dict[str, Any]:
        """What the hall screen shows: latest calls, waiting per service, counters."""
        with self.lock:
            q = self.queue
            waiting = [
                {
                    "service": s.code,
                    "name": s.name,
                    "prefix": s.prefix,
                    "waiting": len(q.waiting(s.code)),
                    "est_wait_min": round(q.estimated_wait(s.code).total_seconds() / 60),
                }
                for s in q.services.values()
            ]
            counters = [
                {
                    "window": c.spec.window,
                    "number": c.spec.number,
                    "paused": c.paused,
                    "pause_reason": pause_reason_text(c.pause_reason) if c.paused else None,
                    "current": c.current,
                    "state": q.tickets[c.current].state.value if c.current else None,
                }
                for c in q.counters.values()
            ]
            return {
                "hall": self.hall.id,
                "name": self.hall.name,
                "day": q.day.isoformat() if q.day else None,
                "calls": list(reversed(self.recent_calls)),
                "waiting": waiting,
                "counters": counters,
                "notices": self.desk.notices(),  # rule DEV-4: hall-wide faults
            }

    # ---- the Projector seam ----

    def project(self, engine: Engine, batch: IngestBatch) -> None:
        """Apply the batch's kiosk tickets and keypad calls (hub.ingest.hooks.Projector); hand
        printer results and hall-wide device faults and states to the desk (DEV-4)."""
        for st in batch.states:
            if st.hall == self.hall.id:
                self.desk.device_state(st.device, st.online)
        for e in batch.events:
            if e.hall == self.hall.id and isinstance(e.body, CommandResult | DeviceFault):
                self.desk.handle(e)
        wanted = [
            e
            for e in batch.events
            if e.hall == self.hall.id and isinstance(e.body, TicketIssued | CallRequest)
        ]
        if not wanted:
            return
        seen = store.seen_sources(self.db, (e.id for e in wanted))
        for env in wanted:
            if env.id not in seen:
                self.handle_envelope(env, batch.received_of(env))

    def handle_envelope(self, env: Envelope, received_at: datetime | None = None) -> Outcome:
        """One kiosk or keypad fact; the hub's clock times every queue change.

        A key press that reaches the hub (`received_at`; now, if not given) more than
        `stale_call_s` after it was made (a keypad that was offline) is refused: replaying old
        "next" presses would call citizens who are not being served. A press that reached the
        hub in time is decided however late the hub gets to it (a catch-up after a crash, a
        busy second worker): the hub's own delay never drops a press (issue 14).
        """
        now = self.clock()
        body = env.body
        if isinstance(body, TicketIssued):
            return self.issue(
                body.service, now, green=body.green_channel, source=env.id, kiosk=env.device
            )
        assert isinstance(body, CallRequest)
        # the receipt is stamped by the ingest worker's wall clock; a hub whose clock runs behind
        # it (the fleet simulator's replayed day) times the press by its own clock, as before
        reached = min(received_at, now) if received_at is not None else now
        age = (reached - env.ts).total_seconds()
        try:  # rule: a keypad acts only for the window the layout puts it at
            window = self.hall.device(env.device).window or body.window
        except KeyError:
            window = body.window
        if env.synced and age > self.stale_call_s:
            return self._refuse_stale(env, window, age, now)
        if self.stale.fresh(env.device):  # in memory: no query on the call path
            self._clear_stale_alert(env.device)
        return self.act(
            window,
            body.action,
            now,
            ticket=body.ticket,
            target_service=body.target_service,
            target_window=body.target_window,
            source=env.id,
        )

    def _refuse_stale(self, env: Envelope, window: str, age: float, now: datetime) -> Outcome:
        """A press too old to act on (QUEUE-1): refused, and said plainly where it was made
        (rule DEV-4: the counter's display, in the catalogue's zh-CN words, as the queue's
        other refusals); a device that keeps sending them is named on the alert desk."""
        self.refusals += 1
        assert isinstance(env.body, CallRequest)
        logger.warning(
            "queue %s: %s from %s is %.0fs old; not replayed",
            self.hall.id,
            env.body.action.value,
            env.device,
            age,
        )
        self.announcer.show(window, text(DEFAULT_LANG, SHOWN_WORDS))
        count = self.stale.note(env.device, now)
        if count is not None:
            try:  # an alert that cannot be stored must never stop the queue
                self.alerts.raise_alert(
                    self.hall.id,
                    env.device,
                    ALERT_KIND,
                    words="alert.stale_presses",
                    values={"device": env.device, "count": count, "age": round(age)},
                )
            except Exception:
                logger.exception("stale presses of %s not on the alert desk", env.device)
        return Outcome((), f"stale key press ({age:.0f}s old)")

    def _clear_stale_alert(self, device: str) -> None:
        """The device's presses come in time again: its stale-press alert is resolved."""
        try:
            self.alerts.clear_alert(self.hall.id, device, ALERT_KIND)
        except Exception:
            logger.exception("stale-press alert of %s not cleared", device)

    # ---- requests (ingest and API) ----

    def issue(
        self,
        service: str,
        now: datetime | None = None,
        *,
        green: bool = False,
        source: str | None = None,
        kiosk: str | None = None,
        printed: bool = False,
    ) -> Outcome:
        """Issue a ticket (kiosk or API); from a kiosk (or `printed`) print it, and tell the
        citizen what became of the printing (rule DEV-4)."""
        now = now or self.clock()
        outcome = self._run(lambda q: q.issue(service, now, green=green, source=source), source)
        issued = [e for e in outcome.events if e.kind is EventKind.ISSUED]
        if not issued or not (printed or kiosk):
            return outcome
        ev = issued[-1]
        with self.lock:
            ahead = self.queue.ahead(ev.ticket or "")
            name = self.queue.services[service].name
        pending = self.desk.print_ticket(ev.ticket or "", name, ahead, ev.at, kiosk)
        return Outcome(outcome.events, printing=pending)

    def act(
        self,
        window: str,
        action: CallAction | str,
        now: datetime | None = None,
        *,
        ticket: str | None = None,
        target_service: str | None = None,
        target_window: str | None = None,
        staff: str | None = None,
        source: str | None = None,
        reason: str | None = None,
    ) -> Outcome:
        """A counter action: next, call, recall, skip, transfer, park, start, finish, pause
        (with the reason citizens are shown, DEV-4), resume."""
        now = now or self.clock()
        a = CallAction(action)

        def step(q: QueueEngine) -> list[QueueEvent]:
            if a is CallAction.NEXT:
                return q.call_next(window, now, staff=staff)
            if a is CallAction.CALL:
                if ticket is None:
                    raise QueueError("call needs a ticket", "queue.err.call_needs_ticket")
                return q.call(window, ticket, now, staff=staff)
            if a is CallAction.TRANSFER:
                return q.transfer(
                    window, now, to_service=target_service, to_window=target_window, number=ticket
                )
            if a is CallAction.PAUSE:
                return q.pause(window, now, reason)
            method = {
                CallAction.RECALL: q.recall,
                CallAction.SKIP: q.skip,
                CallAction.PARK: q.park,
                CallAction.START: q.start,
                CallAction.FINISH: q.finish,
                CallAction.RESUME: q.resume,
            }[a]
            return method(window, now)

        outcome = self._run(step, source)
        if outcome.refused is not None:
            if outcome.refused_key == "queue.err.paused":
                with self.lock:
                    self.announcer.show_paused(self.queue, window)
            else:
                self.announcer.show(window, "操作无效")
        elif a is CallAction.NEXT and not any(e.kind is EventKind.CALLED for e in outcome.events):
            self.announcer.show(window, "暂无等候")
        return outcome

    def link_case(self, ticket: str, case_no: str, now: datetime | None = None) -> Outcome:
        """Bind the case number (办件编号) the window's system gave to a ticket (RATE-1)."""
        now = now or self.clock()
        return self._run(lambda q: q.link_case(ticket, case_no, now), None)

    def reactivate(self, ticket: str, now: datetime | None = None) -> Outcome:
        """A no-show citizen is back (API)."""
        now = now or self.clock()
        return self._run(lambda q: q.reactivate(ticket, now), None)

    def _run(self, step: Callable[[QueueEngine], list[QueueEvent]], source: str | None) -> Outcome:
        with self.lock:
            try:
                with self.db.begin() as conn:
                    # rule: one decision maker per hall at a time (issue 14: scale-out)
                    stored = store.claim_hall(conn, self.hall.id)
                    if stored is not None and stored != self.queue.last_seq:
                        self.restore()  # another worker decided since: take its decisions
                    if stored is not None and source and store.source_decided(conn, source):
                        return Outcome(())  # decided by another worker already
                    day_before = self.queue.day.isoformat() if self.queue.day else None
                    try:
                        events = step(self.queue)
                    except QueueError as exc:
                        self.refusals += 1
                        logger.info("queue %s refused: %s", self.hall.id, exc)
                        return Outcome((), str(exc), None, exc.key, dict(exc.values))
                    if events:
                        store.save(conn, self.hall.id, self.queue, events, source, day_before)
                        self._cases(conn, events)
            except Exception:
                logger.exception("queue events not stored; rebuilding from the database")
                self.restore()
                raise
            for ev in events:
                if ev.kind is EventKind.DAY_RESET:
                    self.recent_calls = []
                elif ev.kind in (EventKind.CALLED, EventKind.RECALLED):
                    self.recent_calls = [*self.recent_calls, self._call_entry(ev)][-10:]
        with self.lock:
            self.announcer.announce(self.queue, events)
        if events and self.broadcaster.listeners():
            self.broadcaster.publish({"type": "snapshot", **self.snapshot()})
        return Outcome(events)

    def _cases(self, conn: Any, events: Sequence[QueueEvent]) -> None:
        """Promised cases accepted by these events, and case numbers given (QUEUE-5)."""
        cases.record_accepted(conn, self.hall.id, self.queue, events, self.calendar.is_workday)
        day = self.queue.day.isoformat() if self.queue.day else ""
        for ev in events:
            if ev.kind is EventKind.CASE_LINKED and ev.ticket:
                cases.link_case_no(conn, self.hall.id, day, ev.ticket, str(ev.data["case_no"]))

    def printer_for(self, device: str) -> str | None:
        """The ticket printer for a kiosk: one on the same node, else the first."""
        return self.announcer.printer_for(device)


def find_queue(app_state: Any, hall: str | None = None) -> QueueProjector:
    """The queue of a hall (or the only one) of this app, from `app_state.queues` (set by the
    hub from the queue area); KeyError when there is none."""
    queues: dict[str, QueueProjector] = getattr(app_state, "queues", None) or {}
    if hall is None:
        if len(queues) != 1:
            raise KeyError("name the hall" if queues else "no queue is running")
        return next(iter(queues.values()))
    return queues[hall]
