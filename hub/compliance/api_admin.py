"""Compliance API, administration: seat assignments, covers (顶岗, rule POST-6) and recompute.
Included in hub.compliance.api.router. The duty chief's checks (rule POST-8) are hub.duty's."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import AwareDatetime, Field
from sqlmodel import Session, col, select

from hub.api.deps import EngineDep, HallsDep, NowDep
from hub.compliance import covers as covers_mod
from hub.compliance.api_common import (
    ComplianceDep,
    Strict,
    hall_or_404,
    row_out,
)
from hub.compliance.covers import decide_cover, list_covers
from hub.compliance.public import CoverPublic, RecomputedPublic, SeatAssignmentPublic
from hub.compliance.tables import (
    SeatAssignment,
)
from hub.db import session_scope
from hub.problems import NotFoundProblem

admin = APIRouter()


class AssignmentIn(Strict):
    """Who holds a seat (rule POST-7: role A or B)."""

    staff_id: str = Field(min_length=1, max_length=64)
    role: Literal["A", "B"] = "A"


class CoverIn(Strict):
    """A request for a temporary leave with a cover (rule POST-6)."""

    seat: str
    start: AwareDatetime
    end: AwareDatetime
    staff_id: str | None = None
    cover_staff_id: str | None = None
    reason: str = Field(default="", max_length=500)


class ApproveIn(Strict):
    """Approval of a cover; the duty chief may sign up to 2 hours (rule POST-6)."""

    approved_by: str = Field(min_length=1, max_length=64)
    approver_role: Literal["duty_chief", "head"] = "duty_chief"


@admin.get("/{hall}/assignments", response_model=list[SeatAssignmentPublic])
def assignments(hall: str, engine: EngineDep) -> list[dict[str, Any]]:
    """Who holds each seat."""
    with Session(engine) as s:
        return [
            row_out(r)
            for r in s.exec(
                select(SeatAssignment)
                .where(SeatAssignment.hall == hall)
                .order_by(col(SeatAssignment.seat))
            ).all()
        ]


@admin.put("/{hall}/assignments/{seat}", response_model=SeatAssignmentPublic)
def assign(
    hall: str, seat: str, body: AssignmentIn, engine: EngineDep, halls: HallsDep
) -> dict[str, Any]:
    """Set who holds a seat, and its A/B role."""
    h = hall_or_404(halls, hall)
    window = next((w.id for w in h.windows if seat in w.seats), None)
    if window is None:
        raise NotFoundProblem("compliance.err.unknown_seat")  # the URL is not echoed
    with session_scope(engine) as s:
        row = s.get(SeatAssignment, (hall, seat)) or SeatAssignment(
            hall=hall, seat=seat, window=window, staff_id=body.staff_id
        )
        row.staff_id, row.role, row.window = body.staff_id, body.role, window
        s.add(row)
        return row_out(row)


@admin.get("/{hall}/covers", response_model=list[CoverPublic])
def covers(hall: str, engine: EngineDep) -> list[dict[str, Any]]:
    """Cover requests and approvals, newest first."""
    return list_covers(engine, hall)


@admin.post("/{hall}/covers", status_code=201, response_model=CoverPublic)
def request_cover(
    hall: str, body: CoverIn, engine: EngineDep, halls: HallsDep, now: NowDep
) -> dict[str, Any]:
    """Ask for a temporary leave with a cover (rule POST-6)."""
    return covers_mod.request_cover(
        engine,
        hall_or_404(halls, hall),
        seat=body.seat,
        start=body.start,
        end=body.end,
        now=now,
        staff_id=body.staff_id,
        cover_staff_id=body.cover_staff_id,
        reason=body.reason,
    )


@admin.post("/{hall}/covers/{cover_id}/approve", response_model=CoverPublic)
def approve_cover(
    hall: str,
    cover_id: int,
    body: ApproveIn,
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    projector: ComplianceDep,
) -> dict[str, Any]:
    """Approve a cover now; only a cover approved before the leave starts holds (rule POST-6)."""
    return decide_cover(
        engine,
        hall_or_404(halls, hall),
        projector,
        cover_id,
        approve=True,
        now=now,
        approved_by=body.approved_by,
        approver_role=body.approver_role,
    )


@admin.post("/{hall}/covers/{cover_id}/refuse", response_model=CoverPublic)
def refuse_cover(
    hall: str,
    cover_id: int,
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    projector: ComplianceDep,
) -> dict[str, Any]:
    """Refuse a cover request."""
    return decide_cover(
        engine, hall_or_404(halls, hall), projector, cover_id, approve=False, now=now
    )


@admin.post("/{hall}/recompute", response_model=RecomputedPublic)
def recompute(
    hall: str, day: date, engine: EngineDep, halls: HallsDep, projector: ComplianceDep
) -> dict[str, Any]:
    """Re-judge every window of the hall for one day from the stored facts."""
    h = hall_or_404(halls, hall)
    counts = {w.id: len(projector.recompute(engine, hall, w.id, day).violations) for w in h.windows}
    return {"day": day, "violations": counts}
