"""RatingProjector: Rating events become bound ratings or refusals; queue changes become
ShowServing commands to each window's rating device (RATE-1..RATE-3).

Hooked in after the queue projector (hub.areas order): on every batch, and from the area's
background watcher for changes made through the API, it reads the queue events written since
its cursor and tells each rating device who serves which ticket. Each Rating is bound to its
service (the ticket called to the device's window that day) and to the staff member actually
on post; a mismatch with the staff shown raises an alert (RATE-2); a dissatisfied rating opens
a follow-up task (RATE-3). Refusals are stored with the reason: nothing is lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from hub.attendance.calendar import WorkCalendar
from hub.commands import CommandSender
from hub.contact_key import opens_as_phone
from hub.ingest.hooks import IngestBatch
from hub.queue.store import SHOWN_KINDS
from hub.ratings import store
from hub.ratings.engine import Binding, Refusal, bind
from hub.ratings.followup import open_followup, raise_alert, redact_fact
from hub.ratings.showing import show_serving
from hub.ratings.tables import RatingRow, RefusalRow
from models.commands import ShowServing
from models.devices import rating_device
from models.envelope import Envelope
from models.events import EventType, Rating
from models.layout import Hall

logger = logging.getLogger(__name__)
RATING = RatingRow.__table__  # type: ignore[attr-defined]
REFUSAL = RefusalRow.__table__  # type: ignore[attr-defined]


class RatingProjector:
    """One hall's ratings (hub.ingest.hooks.Projector)."""

    name = "ratings"
    facts = frozenset({EventType.RATING, EventType.TICKET_ISSUED, EventType.CALL_REQUEST})
    """Durable lane per hall (hub.ingest.lane): ratings bound once; tickets and key presses
    only wake the ShowServing sync (after the queue's lane has decided them)."""

    def __init__(
        self,
        db: Engine,
        sender: CommandSender | None,
        hall: Hall,
        *,
        clock: Callable[[], datetime] | None = None,
        calendar: WorkCalendar | None = None,
    ) -> None:
        self.db, self.sender, self.hall = db, sender, hall
        self.tz = ZoneInfo(hall.timezone)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.calendar = calendar or WorkCalendar()
        self.lock = threading.Lock()
        with db.connect() as conn:
            self.cursor = store.last_queue_seq(conn, hall.id)
        self.shown: list[ShowServing] = []  # what was sent, newest last (kept short)

    # ---- the Projector seam ----

    def project(self, engine: Engine, batch: IngestBatch) -> None:
        """Show the serving staff for queue changes (and to a rating device back online), then
        bind the batch's ratings."""
        self.sync_queue()
        for state in batch.states:
            if state.online and state.hall == self.hall.id:
                self.reshow(state.device)
        for env in batch.events:
            if env.hall == self.hall.id and isinstance(env.body, Rating):
                self.record(env)

    # ---- ShowServing (RATE-2) ----

    def sync_queue(self) -> int:
        """Send ShowServing for the queue changes since the cursor; returns commands sent."""
        with self.lock, self.db.connect() as conn:
            changes = store.queue_changes(conn, self.hall.id, self.cursor)
            if not changes:
                return 0
            self.cursor = changes[-1]["seq"]
            windows: dict[str, None] = {}  # in the order of each window's last change
            for ch in changes:
                if ch["window"] and ch["kind"] in SHOWN_KINDS:
                    windows.pop(ch["window"], None)
                    windows[ch["window"]] = None
            bodies = [b for w in windows for b in self._bodies(conn, w)]
        linked = [c for c in changes if c["kind"] == "case_linked" and c["ticket"]]
        if linked:  # rule RATE-1: a case number given after the rating still binds to it
            with self.db.begin() as conn:
                for c in linked:
                    store.link_case(conn, self.hall.id, c)
        for body in bodies:
            self.show(body)
        return len(bodies)

    def reshow(self, device: str) -> int:
        """Rule RATE-2: a rating device that comes (back) online missed the ShowServing sent
        while it was away (commands are not kept for a device): show it who serves its seat
        now, the ticket its window serves and the hall's dimensions (RATE-1). Returns the
        commands sent."""
        found = next((d for d in self.hall.devices if d.id == device), None)
        window = self._window(device)
        if found is None or found.kind != rating_device.KIND or window is None:
            return 0
        with self.lock, self.db.connect() as conn:
            body = show_serving(conn, self.hall, found.seat or window, window, self.clock())
        self.shown = [*self.shown[-49:], body]
        return int(self._send(device, body))

    def _bodies(self, conn: Connection, window: str) -> list[ShowServing]:
        """What each rating device of `window` shows now (hub.ratings.showing, RATE-2)."""
        return [
            show_serving(conn, self.hall, dev.seat or window, window, self.clock())
            for dev in self.hall.devices
            if dev.kind == rating_device.KIND and self._window(dev.id) == window
        ]

    def show(self, body: ShowServing) -> None:
        """Send one ShowServing to the rating device of its seat."""
        self.shown = [*self.shown[-49:], body]
        device = next(
            (
                d.id
                for d in self.hall.devices
                if d.kind == rating_device.KIND and (d.seat or self._window(d.id)) == body.seat
            ),
            None,
        )
        if device is not None:
            self._send(device, body)

    def _send(self, device: str, body: ShowServing) -> bool:
        if self.sender is None:
            return False
        try:
            self.sender.send(self.hall.id, device, body)
        except Exception:  # a device command must never stop ratings (DEV-4)
            logger.exception("ShowServing to %s not sent", device)
            return False
        return True

    def _window(self, device_id: str) -> str | None:
        try:
            dev = self.hall.device(device_id)
        except KeyError:
            return None
        if dev.window:
            return dev.window
        return store.window_of(self.hall, dev.seat) if dev.seat else None

    # ---- binding (一次一评) ----

    def record(self, env: Envelope) -> Binding | None:
        """Bind one Rating event, or store its refusal; None when it was recorded before."""
        try:
            return self._record(env)
        except IntegrityError:  # another worker bound this service (or this event) first
            body = env.body
            assert isinstance(body, Rating)
            with self.db.begin() as conn:
                if self._seen(conn, env.id):
                    return None
                binding = Binding(Refusal.DUPLICATE, f"{body.ticket} is rated already")
                self._refuse(conn, env, binding)
            return binding

    def _record(self, env: Envelope) -> Binding | None:
        body = env.body
        assert isinstance(body, Rating)
        with self.db.begin() as conn:
            if self._seen(conn, env.id):
                return None
            window = self._window(env.device)
            seat = body.seat
            if window is None:
                binding = Binding(Refusal.UNKNOWN_DEVICE, f"{env.device} serves no window")
                self._refuse(conn, env, binding)
                return binding
            day = env.ts.astimezone(self.tz).date()
            service = (
                store.service_record(conn, self.hall.id, day, window, body.ticket)
                if body.ticket
                else None
            )
            already = body.ticket is not None and self._rated(conn, day, window, body.ticket)
            present = store.present_at(conn, self.hall, seat, window, env.ts)
            binding = bind(body.ticket, body.shown_staff_id, service, already, present)
            if binding.refusal is not None:
                self._refuse(conn, env, binding)
                return binding
            assert service is not None and body.ticket is not None
            values: dict[str, Any] = {
                "event_id": env.id,
                "hall": self.hall.id,
                "day": day,
                "window": window,
                "seat": seat,
                "device": env.device,
                "ticket": body.ticket,
                "service": service.service,
                "staff_id": binding.staff_id,
                "shown_staff_id": body.shown_staff_id,
                "present_staff_id": present.staff_id,
                "present_source": present.source,
                "mismatch": binding.mismatch,
                "level": body.level,
                "attitude": body.dimensions.get("attitude"),
                "efficiency": body.dimensions.get("efficiency"),
                "service_level": body.dimensions.get("service_level"),
                "case_no": service.case_no,
                "reason": body.reason,
                "rated_at": env.ts.astimezone(UTC),
                "recorded_at": self.clock(),
            }
            key = conn.execute(sa.insert(RATING).values(**values)).inserted_primary_key
            assert key is not None
            values["id"] = key[0]
            self._consequences(conn, values, binding, env)  # same transaction: all or nothing
        logger.info(
            "rating %s %s at %s: level %s, staff %s%s",
            self.hall.id,
            body.ticket,
            window,
            body.level,
            binding.staff_id,
            " (MISMATCH)" if binding.mismatch else "",
        )
        return binding

    def _consequences(
        self, conn: Connection, rating: dict[str, Any], binding: Binding, env: Envelope
    ) -> None:
        now = self.clock()
        assert isinstance(env.body, Rating)
        contact = env.body.contact
        if binding.mismatch:  # rule RATE-2
            raise_alert(
                conn,
                hall=self.hall.id,
                kind="staff_mismatch",
                rule="RATE-2",
                ref=f"rating:{rating['id']}",
                window=rating["window"],
                staff_id=rating["present_staff_id"],
                text=f"{rating['window']} {rating['ticket']}：评价器显示 "
                f"{rating['shown_staff_id'] or '无人'}，在岗 {rating['present_staff_id']}",
                now=now,
            )
        settings = store.load_settings(conn, self.hall.id)
        unreadable = contact is not None and opens_as_phone(contact) is False
        if unreadable:  # forged or garbled on the way, or sealed with another hall's key
            logger.warning("rating %s from %s: its number does not open", env.id, env.device)
        if settings.dissatisfied(rating["level"]):  # rule RATE-3
            kept = None if unreadable else contact
            open_followup(
                conn,
                rating,
                settings,
                self.tz,
                self.calendar.is_workday,
                now,
                kept,
                unreadable=unreadable,
            )
            if unreadable:
                redact_fact(conn, env.id)
        elif contact:  # rule PRIV-1: a number nobody will call is not kept
            redact_fact(conn, env.id)

    def _seen(self, conn: Connection, event_id: str) -> bool:
        for table in (RATING, REFUSAL):
            if conn.execute(sa.select(table.c.id).where(table.c.event_id == event_id)).first():
                return True
        return False

    def _rated(self, conn: Connection, day: Any, window: str, ticket: str) -> bool:
        q = sa.select(RATING.c.id).where(
            RATING.c.hall == self.hall.id,
            RATING.c.day == day,
            RATING.c.window == window,
            RATING.c.ticket == ticket,
        )
        return conn.execute(q).first() is not None

    def _refuse(self, conn: Connection, env: Envelope, binding: Binding) -> None:
        body = env.body
        assert isinstance(body, Rating) and binding.refusal is not None
        conn.execute(
            sa.insert(REFUSAL).values(
                event_id=env.id,
                hall=self.hall.id,
                device=env.device,
                seat=body.seat,
                ticket=body.ticket,
                level=body.level,
                code=binding.refusal.value,
                detail=binding.detail[:500],
                rated_at=env.ts.astimezone(UTC),
                recorded_at=self.clock(),
            )
        )
        if body.contact:  # rule PRIV-1: a refused rating's number is not kept
            redact_fact(conn, env.id)
        logger.info("rating %s from %s refused: %s", env.id, env.device, binding.detail)
