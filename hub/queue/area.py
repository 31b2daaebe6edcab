"""The queue area of the hub (hub.areas): a QueueProjector per hall, the /api/queue router, the
kiosk and hall pages, and the watcher (live alerts QUEUE-5/QUEUE-6, silent printers DEV-4)."""

from __future__ import annotations

from hub.areas import AreaContext, AreaParts
from hub.queue.service import QueueProjector
from hub.queue.watch import QueueWatcher


def setup(ctx: AreaContext) -> AreaParts:
    """Build each hall's queue from its stored events; hand the hub the projectors and router."""
    from hub.queue.api import router
    from hub.queue.export import router as export_router
    from hub.queue.kiosk import router as kiosk_router
    from hub.queue.pages import router as pages_router

    projectors = []
    for hall in ctx.halls:
        projector = QueueProjector(ctx.engine, ctx.commands, hall, clock=ctx.clock)
        projectors.append(projector)
    return AreaParts(
        name="queue",
        projectors=list(projectors),
        routers=[router, kiosk_router, pages_router, export_router],
        background=[QueueWatcher(projectors, ctx.clock)],
        state={"queues": {p.hall.id: p for p in projectors}},  # this hub's own queues
    )
