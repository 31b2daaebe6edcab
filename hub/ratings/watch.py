"""The ratings area's background work: queue changes made through the API are shown on the
rating devices (every `poll_s`), and overdue follow-ups are alerted (every `overdue_s`, RATE-3)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.engine import Engine

from hub.areas import Ticker
from hub.ratings.followup import check_overdue
from hub.ratings.projector import RatingProjector

logger = logging.getLogger(__name__)


class RatingWatcher(Ticker):
    """Background work of the ratings area: queue changes made through the API are shown on
    the rating devices (every `poll_s`), and overdue follow-ups checked (every `overdue_s`)."""

    thread_name = "ratings-watch"

    def __init__(
        self,
        engine: Engine,
        projectors: Sequence[RatingProjector],
        clock: Callable[[], datetime],
        *,
        poll_s: float = 1.0,
        overdue_s: float = 60.0,
    ) -> None:
        super().__init__(poll_s)
        self.engine, self.projectors, self.clock = engine, list(projectors), clock
        self.poll_s, self.overdue_s = poll_s, overdue_s
        self._elapsed, self._last_check = 0.0, float("-inf")

    def tick(self, check: bool = True) -> int:
        """One round: sync every hall's queue changes; check overdue tasks when asked."""
        for p in self.projectors:
            p.sync_queue()
        if not check:
            return 0
        zones = {p.hall.id: p.tz for p in self.projectors}
        return check_overdue(self.engine, self.clock(), zones=zones)

    def round(self) -> int:
        """The ticker's round (every `poll_s`): the overdue check once `overdue_s` has passed."""
        self._elapsed += self.poll_s
        check = self._elapsed - self._last_check >= self.overdue_s
        try:
            return self.tick(check)
        finally:
            if check:
                self._last_check = self._elapsed
