"""The attendance area for the hub: its projector and its API router (see hub.areas)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hub.areas import AreaContext, AreaParts
from hub.attendance.policy import DEFAULT_POLICY, Policy, load_policy
from hub.attendance.projector import AttendanceProjector, ExpectedSource
from models.layout import Hall


def hall_policies(halls: Sequence[Hall]) -> dict[str, Policy]:
    """Each hall's own attendance policy in its own zone, the first hall first (rule ATT-1:
    a hall judges its staff by its policy)."""
    return {h.id: load_policy(h.attendance_policy, timezone=h.timezone) for h in halls}


def hall_projector(ctx: AreaContext, expected: ExpectedSource | None = None) -> AttendanceProjector:
    """The projector judging each staff member with their own hall's policy (the first hall's,
    or the default preset without halls, for staff of no hall served)."""
    halls = hall_policies(ctx.halls)
    first = next(iter(halls.values()), None) or load_policy(DEFAULT_POLICY)
    if expected is None:
        return AttendanceProjector(first, clock=ctx.clock, halls=halls)  # the hall's clock: 未到
    return AttendanceProjector(first, clock=ctx.clock, expected=expected, halls=halls)


def with_roster(ctx: AreaContext) -> tuple[AttendanceProjector, Any]:
    """The projector and workflow, asking the roster (hub.duty) who is expected on which day and
    who holds a seat at which window (DUTY-1, ATT-7) when the duty area is part of the hub."""
    from hub.attendance.workflow import AttendanceWorkflow

    try:
        from hub.duty.seam import roster_expected, roster_seats
    except ImportError:
        projector = hall_projector(ctx)
        return projector, AttendanceWorkflow(ctx.engine, projector, ctx.clock)
    projector = hall_projector(ctx, roster_expected(ctx.halls))
    workflow = AttendanceWorkflow(ctx.engine, projector, ctx.clock, roster_seats(ctx.halls))
    return projector, workflow


def setup(ctx: AreaContext) -> AreaParts:
    """Build the projector (each hall's staff judged by its own policy) and the router."""
    from hub.attendance.api import AttendanceContext, make_router

    projector, workflow = with_roster(ctx)
    router = make_router(AttendanceContext(workflow))
    return AreaParts(name="attendance", projectors=[projector], routers=[router])
