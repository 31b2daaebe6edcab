"""The duty area's background work, every `period_s`: each seat's holder now (RATE-2 pushes and
ledger alerts), the day's duty checks planned each morning and overdue ones alerted (POST-8),
the opening check's acknowledgement watched (DEV-1), closed months' assessments frozen (DUTY-5)."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from hub.duty.assessment_store import freeze_closed
from hub.duty.checks import overdue, plan_day
from hub.duty.chief_store import chief_leave_alert, chief_on
from hub.duty.hallctx import load_duty_policy
from hub.duty.ledger_store import hall_duty
from hub.duty.opening import unacknowledged
from hub.duty.watch import SeatWatch

logger = logging.getLogger(__name__)


class DutyTicker:
    """Runs `tick()` in a thread of its own every `period_s` seconds."""

    def __init__(
        self,
        engine: Engine,
        watch: SeatWatch,
        clock: Callable[[], datetime],
        period_s: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self.engine, self.watch, self.clock, self.period_s = engine, watch, clock, period_s
        self.rng = rng or random.SystemRandom()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.after_tick: list[Callable[[Engine, datetime], object]] = []

    def tick(self) -> dict[str, int]:
        """One round of the work; returns what it did (for logs and tests)."""
        now = self.clock()
        done = {"changes": 0, "planned": 0, "overdue": 0, "opening_alerts": 0}
        done["changes"] = len(self.watch.sync_all(self.engine))
        for hall in self.watch.halls.values():
            hd = hall_duty(hall)
            day = hd.local_day(now)
            with self.engine.begin() as conn:
                policy = load_duty_policy(conn, hd.id)
                found = chief_on(conn, hd, day)
                planned = plan_day(conn, hd, day, policy, found[0] if found else None, self.rng)
                done["planned"] += len(planned)
                done["overdue"] += overdue(conn, hd, now, policy)
                done["opening_alerts"] += int(unacknowledged(conn, hd, now, policy))
                done["chief_leave"] = done.get("chief_leave", 0) + chief_leave_alert(conn, hd, now)
                done["frozen"] = done.get("frozen", 0) + freeze_closed(conn, hd, now)
        for hook in self.after_tick:
            hook(self.engine, now)
        return done

    def start(self) -> DutyTicker:
        """Start the timer thread (a first tick runs at once)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="duty-tick", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while True:
            try:
                self.tick()
            except Exception:  # a failed round must not end the background work
                logger.exception("duty tick failed")
            if self._stop.wait(self.period_s):
                return

    def stop(self) -> None:
        """Stop the timer (and the seat watch's trailing rounds); safe to call twice."""
        self._stop.set()
        self.watch.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
