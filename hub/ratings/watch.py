"""The ratings area's background work: queue changes made through the API are shown on the
rating devices (every `poll_s`), and overdue follow-ups are alerted (every `overdue_s`, RATE-3)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.engine import Engine

from hub.ratings.followup import check_overdue
from hub.ratings.projector import RatingProjector

logger = logging.getLogger(__name__)


class RatingWatcher:
    """Background work of the ratings area: queue changes made through the API are shown on
    the rating devices (every `poll_s`), and overdue follow-ups checked (every `overdue_s`)."""

    def __init__(
        self,
        engine: Engine,
        projectors: Sequence[RatingProjector],
        clock: Callable[[], datetime],
        *,
        poll_s: float = 1.0,
        overdue_s: float = 60.0,
    ) -> None:
        self.engine, self.projectors, self.clock = engine, list(projectors), clock
        self.poll_s, self.overdue_s = poll_s, overdue_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> RatingWatcher:
        """Begin in a thread of its own."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ratings-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Finish; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def tick(self, check: bool = True) -> int:
        """One round: sync every hall's queue changes; check overdue tasks when asked."""
        for p in self.projectors:
            p.sync_queue()
        if not check:
            return 0
        zones = {p.hall.id: p.tz for p in self.projectors}
        return check_overdue(self.engine, self.clock(), zones=zones)

    def _run(self) -> None:
        last_check = float("-inf")
        elapsed = 0.0
        while not self._stop.wait(self.poll_s):
            elapsed += self.poll_s
            check = elapsed - last_check >= self.overdue_s
            try:
                self.tick(check)
            except Exception:  # keep watching; the next round retries
                logger.exception("ratings watcher round failed")
            if check:
                last_check = elapsed
