"""The complaints area of the hub (hub.areas): /api/complaints, the public complaint pages, the
dashboard pages, and the watcher of complaint and call-back deadlines (DUTY-6, DEV-4)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from hub.areas import AreaContext, AreaParts
from hub.complaints.callbacks import check_overdue

logger = logging.getLogger(__name__)


class ComplaintWatcher:
    """Raises an alert once for each missed complaint or call-back deadline, every `every_s`."""

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime],
        zones: dict[str, ZoneInfo],
        every_s: float = 60.0,
    ) -> None:
        self.engine, self.clock, self.zones, self.every_s = engine, clock, zones, every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> ComplaintWatcher:
        """Begin in a thread of its own."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="complaints-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Finish; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def tick(self) -> int:
        """One round; returns the alerts raised."""
        return check_overdue(self.engine, self.clock(), self.zones)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.tick()
            except Exception:  # keep watching; the next round retries
                logger.exception("complaints watcher round failed")


def setup(ctx: AreaContext) -> AreaParts:
    """The complaints routers and watcher for the hub's halls."""
    from hub.complaints.api import router as api_router
    from hub.complaints.pages import router as pages_router
    from hub.complaints.public import router as public_router

    zones = {h.id: ZoneInfo(h.timezone) for h in ctx.halls}
    return AreaParts(
        name="complaints",
        routers=[api_router, public_router, pages_router],
        background=[ComplaintWatcher(ctx.engine, ctx.clock, zones)],
    )
