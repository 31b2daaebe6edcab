"""The complaints area of the hub (hub.areas): /api/complaints, the public complaint pages, the
dashboard pages, and the watcher of complaint and call-back deadlines (DUTY-6, DEV-4)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from hub.areas import AreaContext, AreaParts, Ticker
from hub.complaints.callbacks import check_overdue

logger = logging.getLogger(__name__)


class ComplaintWatcher(Ticker):
    """Raises an alert once for each missed complaint or call-back deadline, every `every_s`."""

    thread_name = "complaints-watch"

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime],
        zones: dict[str, ZoneInfo],
        every_s: float = 60.0,
    ) -> None:
        super().__init__(every_s)
        self.engine, self.clock, self.zones = engine, clock, zones

    def tick(self) -> int:
        """One round; returns the alerts raised."""
        return check_overdue(self.engine, self.clock(), self.zones)

    def round(self) -> int:
        """The ticker's round: one check."""
        return self.tick()


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
