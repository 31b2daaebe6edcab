"""The queue area's background work: live alerts (QUEUE-5, QUEUE-6) and silent printers (DEV-4).

Every `interval_s` the watcher asks each hall's queue which immediate cases are past the limit
and which windows have stopped early, asks the promised cases which are due soon or overdue,
stores the alerts not raised before and pushes each new one to the queue's listeners; and it
tells citizens whose ticket the printer never answered for (hub.queue.desk).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime

from hub.queue import cases
from hub.queue.promises import LiveAlert, early_stops, immediate_overruns, promise_alerts
from hub.queue.service import QueueProjector

logger = logging.getLogger(__name__)


def live_alerts(p: QueueProjector, now: datetime) -> list[LiveAlert]:
    """The alerts one hall's queue and promised cases call for now (not yet de-duplicated)."""
    s = p.queue.settings
    immediate = {code for code, spec in p.queue.services.items() if spec.immediate}
    with p.lock:
        found = immediate_overruns(p.queue, immediate, now, s.immediate_limit_min)  # QUEUE-5
        found += early_stops(p.queue, now, s)  # rule QUEUE-6
    found += promise_alerts(cases.open_cases(p.db, p.hall.id), now, s.promise_warn_hours, s.tz)
    return found


class QueueWatcher:
    """Raises each hall's live queue alerts once, and expires unanswered prints."""

    def __init__(
        self,
        projectors: Sequence[QueueProjector],
        clock: Callable[[], datetime],
        *,
        interval_s: float = 10.0,
        print_check_s: float = 1.0,
    ) -> None:
        self.projectors, self.clock = list(projectors), clock
        self.interval_s, self.print_check_s = interval_s, print_check_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> QueueWatcher:
        """Begin in a thread of its own."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="queue-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Finish; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def tick(self, alerts: bool = True) -> list[LiveAlert]:
        """One round; returns the alerts raised in it."""
        now = self.clock()
        raised: list[LiveAlert] = []
        for p in self.projectors:
            p.desk.expire(now)  # rule DEV-4: a silent printer is told to the citizen too
            if not alerts:
                continue
            new = cases.store_alerts(p.db, p.hall.id, live_alerts(p, now), now)
            for a in new:
                if p.broadcaster.listeners():
                    p.broadcaster.publish({"type": "alert", "hall": p.hall.id, **asdict(a)})
            raised += new
        return raised

    def _run(self) -> None:
        elapsed = self.interval_s  # the first round checks alerts at once
        while not self._stop.wait(self.print_check_s):
            elapsed += self.print_check_s
            check = elapsed >= self.interval_s
            try:
                self.tick(alerts=check)
            except Exception:  # keep watching; the next round retries
                logger.exception("queue watcher round failed")
            if check:
                elapsed = 0.0
