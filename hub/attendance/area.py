"""The attendance area for the hub: its projector and its API router (see hub.areas)."""

from __future__ import annotations

import logging
from typing import Any

from hub.areas import AreaContext, AreaParts
from hub.attendance.policy import DEFAULT_POLICY, Policy, load_policy
from hub.attendance.projector import AttendanceProjector

logger = logging.getLogger(__name__)


def with_roster(ctx: AreaContext, policy: Policy) -> tuple[AttendanceProjector, Any]:
    """The projector and workflow, asking the roster (hub.duty) who is expected on which day and
    who holds a seat at which window (DUTY-1, ATT-7) when the duty area is part of the hub."""
    from hub.attendance.workflow import AttendanceWorkflow

    try:
        from hub.duty.seam import roster_expected, roster_seats
    except ImportError:
        projector = AttendanceProjector(policy, clock=ctx.clock)  # the hall's clock: 未到
        return projector, AttendanceWorkflow(ctx.engine, projector, ctx.clock)
    projector = AttendanceProjector(policy, clock=ctx.clock, expected=roster_expected(ctx.halls))
    workflow = AttendanceWorkflow(ctx.engine, projector, ctx.clock, roster_seats(ctx.halls))
    return projector, workflow


def setup(ctx: AreaContext) -> AreaParts:
    """Build the projector and router with the first hall's policy and time zone."""
    from hub.attendance.api import AttendanceContext, make_router

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
    projector, workflow = with_roster(ctx, policy)
    router = make_router(AttendanceContext(workflow))
    return AreaParts(name="attendance", projectors=[projector], routers=[router])
