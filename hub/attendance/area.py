"""The attendance area for the hub: its projector and its API router (see hub.areas)."""

from __future__ import annotations

import logging

from hub.areas import AreaContext, AreaParts
from hub.attendance.policy import DEFAULT_POLICY, load_policy
from hub.attendance.projector import AttendanceProjector

logger = logging.getLogger(__name__)


def setup(ctx: AreaContext) -> AreaParts:
    """Build the projector and router with the first hall's policy and time zone."""
    from hub.attendance.api import AttendanceContext, make_router
    from hub.attendance.workflow import AttendanceWorkflow

    hall = ctx.halls[0] if ctx.halls else None
    policy = load_policy(
        hall.attendance_policy if hall else DEFAULT_POLICY, timezone=hall.timezone if hall else None
    )
    if len({(h.attendance_policy, h.timezone) for h in ctx.halls}) > 1:
        logger.warning(
            "halls use different attendance policies; judging all with %s (%s)",
            policy.name,
            policy.timezone,
        )
    projector = AttendanceProjector(policy, clock=ctx.clock)  # the hall's clock: 未到, to date
    workflow = AttendanceWorkflow(ctx.engine, projector, ctx.clock)
    router = make_router(AttendanceContext(workflow))
    return AreaParts(name="attendance", projectors=[projector], routers=[router])
