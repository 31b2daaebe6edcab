"""The live side of the post ledger: each seat's holder now, and the seat's rating device told
who is on post (hub.ratings.showing: the one ratings bind to) on every change of holder or of
the face at the window (rule RATE-2), and the ledger's flags raised as alerts (ATT-7, POST-6,
DUTY-1, RATE-2). Run after each ingest batch that brings a punch or presence, and by the
duty ticker (time alone changes holders: opening, the start and end of a leave). A rating
device whose state comes (back) online is shown who serves again by the ratings area alone
(hub.ratings.projector.RatingProjector.reshow, the same ShowServing): one owner of the reshow,
so the device gets one frame, not two identical ones.

Throttled: a busy hall sends presence marks every few seconds, and each sync rebuilds the
hall's day. A hall whose last round ended less than `min_interval_s` ago is synced once more
when the interval ends (one trailing round per hall, whatever came meanwhile), so a change of
holder still reaches the rating device within the interval. One hall is synced by one thread
at a time (the ingest batch, the trailing round and the ticker would otherwise push the same
change twice). The ledger's flags become alerts in hub.duty.flag_alerts: a face at the seat
that is not the holder's is told once per face, whichever round finds it (rule RATE-2)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hub.commands import CommandSender
from hub.duty.flag_alerts import raise_flags
from hub.duty.hallctx import HallDuty, utc_now
from hub.duty.ledger import LedgerDay
from hub.duty.ledger_store import hall_duty, ledger_day
from hub.duty.tables import SeatHolderRow
from hub.ingest.hooks import IngestBatch
from hub.ratings.showing import show_serving
from hub.ratings.store import present_at
from models.devices import rating_device
from models.events import EventType
from models.layout import Hall

logger = logging.getLogger(__name__)
HOLDER = SeatHolderRow.__table__  # type: ignore[attr-defined]
WATCHED = frozenset({EventType.PUNCH, EventType.PRESENCE})


@dataclass(frozen=True, slots=True)
class Change:
    """A seat whose holder changed, and what its rating device was told."""

    hall: str
    seat: str
    staff_id: str | None
    basis: str
    device: str | None
    command_id: str | None


def rating_devices(hall: Hall, seat: str, window: str) -> list[str]:
    """The rating devices that show who serves at `seat` (on the seat, or the window's own)."""
    return [
        d.id
        for d in hall.devices
        if d.kind == rating_device.KIND
        and (d.seat == seat or (d.seat is None and d.window == window))
    ]


class SeatWatch:
    """Keeps each seat's holder now and tells its rating device (a hub.ingest.hooks.Projector)."""

    name = "duty"

    def __init__(
        self,
        halls: Sequence[Hall],
        sender: CommandSender | None,
        clock: Callable[[], datetime] = utc_now,
        min_interval_s: float = 2.0,
    ) -> None:
        self.halls = {h.id: h for h in halls}
        self.sender = sender
        self.clock = clock
        self.min_interval_s = min_interval_s
        self.syncs = 0  # rounds run (for tests and the log)
        self._locks = {h: threading.Lock() for h in self.halls}
        self._guard = threading.Lock()
        self._last: dict[str, float] = {}  # hall -> monotonic time its last round began
        self._trailing: dict[str, threading.Timer] = {}
        self._shown: dict[tuple[str, str], str | None] = {}  # (hall, seat) -> staff last shown

    def project(self, engine: Engine, batch: IngestBatch) -> None:
        """Re-read the holders of every hall a punch or presence of the batch belongs to
        (at most once per `min_interval_s` per hall; a trailing round catches the rest).
        A device's state is the ratings area's to answer (RATE-2: its reshow)."""
        touched = sorted(
            {e.hall for e in batch.events if e.type in WATCHED and e.hall in self.halls}
        )
        for hall in touched:
            wait = self._wait(hall)
            if wait <= 0:
                self.sync(engine, self.halls[hall])
            else:
                self._schedule(engine, hall, wait)

    def _wait(self, hall: str) -> float:
        """Seconds until `hall` may be synced again (0 or less: now)."""
        with self._guard:
            last = self._last.get(hall)
        return 0.0 if last is None else last + self.min_interval_s - time.monotonic()

    def _schedule(self, engine: Engine, hall: str, wait: float) -> None:
        """One trailing round for `hall` after `wait` seconds (none added if one is pending)."""
        with self._guard:
            if hall in self._trailing:
                return
            timer = threading.Timer(wait, self._trail, (engine, hall))
            timer.daemon = True
            timer.name = f"duty-watch-{hall}"
            self._trailing[hall] = timer
        timer.start()

    def _trail(self, engine: Engine, hall: str) -> None:
        with self._guard:
            self._trailing.pop(hall, None)
        try:
            self.sync(engine, self.halls[hall])
        except Exception:  # a trailing round must not end quietly with a traceback lost
            logger.exception("duty watch: trailing round of %s failed", hall)

    def close(self) -> None:
        """Cancel the pending trailing rounds (the hub stops); safe to call twice."""
        with self._guard:
            timers, self._trailing = list(self._trailing.values()), {}
        for t in timers:
            t.cancel()

    def sync_all(self, engine: Engine) -> list[Change]:
        """Every hall's holders now (the ticker's work)."""
        out: list[Change] = []
        for hall in self.halls.values():
            out.extend(self.sync(engine, hall))
        return out

    def sync(self, engine: Engine, hall: Hall) -> list[Change]:
        """Compare each seat's holder now with the one last pushed; push and alert changes."""
        with self._locks.setdefault(hall.id, threading.Lock()):
            self.syncs += 1
            try:
                return self._sync(engine, hall)
            finally:  # the interval runs from the end of a round: the database breathes
                with self._guard:
                    self._last[hall.id] = time.monotonic()

    def _sync(self, engine: Engine, hall: Hall) -> list[Change]:
        hd = hall_duty(hall)
        now = self.clock()
        day = hd.local_day(now)
        with engine.begin() as conn:
            ledger = ledger_day(conn, hd, day)
            known = {
                r.seat: r for r in conn.execute(sa.select(HOLDER).where(HOLDER.c.hall == hall.id))
            }
            changed = []
            for seat, window in hd.seats():
                h = ledger.holder_at(seat, now)
                staff, basis = (h.staff_id, h.basis.value) if h else (None, "vacant")
                old = known.get(seat)
                if old is not None and (old.staff_id, old.basis) == (staff, basis):
                    if self._has_device(hd, seat, window) and (
                        old.pushed_at is None  # stored but never told (a crash, a failed send)
                        or self._face_moved(conn, hd, ledger, seat, window, now, old.staff_id)
                    ):  # rule RATE-2: tell the device now
                        changed.append((seat, window, staff, basis, old.staff_id))
                    continue
                since = h.start if h else now
                conn.execute(
                    sa.delete(HOLDER).where(HOLDER.c.hall == hall.id, HOLDER.c.seat == seat)
                )
                conn.execute(
                    sa.insert(HOLDER).values(
                        hall=hall.id,
                        seat=seat,
                        window=window,
                        staff_id=staff,
                        basis=basis,
                        since=since,
                    )
                )
                changed.append((seat, window, staff, basis, old.staff_id if old else None))
            raise_flags(conn, hd, ledger, now)  # rules ATT-7, POST-6, DUTY-1, RATE-2
        return [self._push(engine, hd, ledger, now, *c) for c in changed]

    def _face_moved(
        self,
        conn: Connection,
        hd: HallDuty,
        ledger: LedgerDay,
        seat: str,
        window: str,
        now: datetime,
        holder: str | None,
    ) -> bool:
        """Rule RATE-2: whether the person on post (a face at the window since the holding
        began, else the holder) is no longer the one the seat's rating device was last shown."""
        who = present_at(conn, hd.hall, seat, window, now, ledger).staff_id
        return who != self._shown.get((hd.id, seat), holder)

    def _has_device(self, hd: HallDuty, seat: str, window: str) -> bool:
        """Whether a push of this seat's holder has anywhere to go."""
        return self.sender is not None and bool(rating_devices(hd.hall, seat, window))

    def _push(
        self,
        engine: Engine,
        hd: HallDuty,
        ledger: LedgerDay,
        now: datetime,
        seat: str,
        window: str,
        staff: str | None,
        basis: str,
        before: str | None,
    ) -> Change:
        """Rule RATE-2: the seat's rating device shows who is on post, the one ratings bind to
        (hub.ratings.showing: the new holder, unless another face punched at the window since)."""
        devices = rating_devices(hd.hall, seat, window)
        command_id = device = None
        with engine.begin() as conn:
            body = show_serving(conn, hd.hall, seat, window, now, ledger)
        logger.info(
            "seat %s/%s: %s -> %s (%s), shown %s", hd.id, seat, before, staff, basis, body.staff_id
        )
        for device in devices:
            if self.sender is None:
                continue
            try:
                command_id = self.sender.send(hd.id, device, body)
            except Exception:  # a device command must never stop the ledger (DEV-4)
                logger.exception("ShowServing to %s not sent", device)
                continue
            self._shown[(hd.id, seat)] = body.staff_id
            with engine.begin() as conn:
                conn.execute(
                    sa.update(HOLDER)
                    .where(HOLDER.c.hall == hd.id, HOLDER.c.seat == seat)
                    .values(pushed_at=self.clock(), device=device, command_id=command_id)
                )
        return Change(hd.id, seat, staff, basis, device, command_id)
