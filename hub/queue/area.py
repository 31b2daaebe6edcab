"""The queue area of the hub (hub.areas): a QueueProjector per hall and the /api/queue router."""

from __future__ import annotations

from hub.areas import AreaContext, AreaParts
from hub.queue.service import QueueProjector


def setup(ctx: AreaContext) -> AreaParts:
    """Build each hall's queue from its stored events; hand the hub the projectors and router."""
    from hub.queue.api import router

    projectors = []
    for hall in ctx.halls:
        projector = QueueProjector(ctx.engine, ctx.commands, hall, clock=ctx.clock)
        projectors.append(projector)
    return AreaParts(
        name="queue",
        projectors=list(projectors),
        routers=[router],
        state={"queues": {p.hall.id: p for p in projectors}},  # this hub's own queues
    )
