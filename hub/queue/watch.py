"""The queue area's background work: live alerts (QUEUE-5, QUEUE-6) and silent printers (DEV-4).

Every `interval_s` the watcher asks each hall's queue which immediate cases are past the limit
and which windows have stopped early, asks the promised cases which are due soon or overdue,
stores the alerts not raised before and pushes each new one to the queue's listeners; and it
tells citizens whose ticket the printer never answered for (hub.queue.desk).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime

from hub.areas import Ticker
from hub.queue import cases
from hub.queue.promises import LiveAlert, early_stops, immediate_overruns, promise_alerts
from hub.queue.service import QueueProjector


def live_alerts(p: QueueProjector, now: datetime) -> list[LiveAlert]:
    """The alerts one hall's queue and promised cases call for now (not yet de-duplicated)."""
    s = p.queue.settings
    immediate = {code for code, spec in p.queue.services.items() if spec.immediate}
    with p.lock:
        found = immediate_overruns(p.queue, immediate, now, s.immediate_limit_min)  # QUEUE-5
        found += early_stops(p.queue, now, s)  # rule QUEUE-6
    found += promise_alerts(cases.open_cases(p.db, p.hall.id), now, s.promise_warn_hours, s.tz)
    return found


class QueueWatcher(Ticker):
    """Raises each hall's live queue alerts once (every `interval_s`), and expires unanswered
    prints (every `print_check_s`, the round of its `Ticker`)."""

    thread_name = "queue-watch"

    def __init__(
        self,
        projectors: Sequence[QueueProjector],
        clock: Callable[[], datetime],
        *,
        interval_s: float = 10.0,
        print_check_s: float = 1.0,
    ) -> None:
        super().__init__(print_check_s)
        self.projectors, self.clock = list(projectors), clock
        self.interval_s, self.print_check_s = interval_s, print_check_s
        self._elapsed = interval_s  # the first round checks alerts at once

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

    def round(self) -> list[LiveAlert]:
        """Every round expires prints; alerts are checked once `interval_s` has passed (a
        failing round is logged by the Ticker and counts as checked)."""
        self._elapsed += self.print_check_s
        check = self._elapsed >= self.interval_s
        if check:
            self._elapsed = 0.0
        return self.tick(alerts=check)
