"""The ratings area of the hub (hub.areas): a RatingProjector per hall, the /api/ratings router,
and the watcher (queue changes made through the API; overdue follow-ups, RATE-3)."""

from __future__ import annotations

from hub.areas import AreaContext, AreaParts
from hub.ratings.projector import RatingProjector
from hub.ratings.watch import RatingWatcher


def setup(ctx: AreaContext) -> AreaParts:
    """Build each hall's ratings projector; hand the hub the projectors, router and watcher."""
    from hub.ratings.api import router
    from hub.ratings.pages import router as pages_router

    projectors = [RatingProjector(ctx.engine, ctx.commands, h, clock=ctx.clock) for h in ctx.halls]
    watcher = RatingWatcher(ctx.engine, projectors, ctx.clock)
    return AreaParts(
        name="ratings",
        projectors=list(projectors),
        routers=[router, pages_router],
        background=[watcher],
    )
