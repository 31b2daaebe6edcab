"""Compliance API, administration: seat assignments, covers (顶岗, rule POST-6) and recompute.
Included in hub.compliance.api.router. The duty chief's checks (rule POST-8) are hub.duty's."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException
from pydantic import AwareDatetime, Field
from sqlmodel import Session, col, select

from hub.api.deps import EngineDep, HallsDep, NowDep
from hub.compliance.api_common import (
    ComplianceDep,
    Strict,
    hall_or_404,
    row_out,
)
from hub.compliance.projector import CompliancePresence
from hub.compliance.public import CoverPublic, RecomputedPublic, SeatAssignmentPublic
from hub.compliance.tables import (
    CoverRow,
    SeatAssignment,
    utc,
)
from hub.db import session_scope
from hub.dbtypes import aware
from models.layout import Hall

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
        raise HTTPException(404, f"unknown seat {seat!r}")
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
    with Session(engine) as s:
        return [
            row_out(r)
            for r in s.exec(
                select(CoverRow).where(CoverRow.hall == hall).order_by(col(CoverRow.id).desc())
            ).all()
        ]


@admin.post("/{hall}/covers", status_code=201, response_model=CoverPublic)
def request_cover(
    hall: str, body: CoverIn, engine: EngineDep, halls: HallsDep, now: NowDep
) -> dict[str, Any]:
    """Ask for a temporary leave with a cover (rule POST-6)."""
    h = hall_or_404(halls, hall)
    if not any(body.seat in w.seats for w in h.windows):
        raise HTTPException(404, f"unknown seat {body.seat!r}")
    if body.end <= body.start:
        raise HTTPException(422, "a cover ends after it starts")
    with session_scope(engine) as s:
        row = CoverRow(
            hall=hall,
            seat=body.seat,
            staff_id=body.staff_id,
            cover_staff_id=body.cover_staff_id,
            start=utc(body.start),
            end=utc(body.end),
            reason=body.reason,
            requested_at=utc(now),
        )
        s.add(row)
        s.flush()
        return row_out(row)


def _decide(
    hall: Hall,
    cover_id: int,
    engine: Any,
    projector: CompliancePresence,
    status: str,
    now: datetime,
    approval: ApproveIn | None,
) -> dict[str, Any]:
    with session_scope(engine) as s:
        row = s.get(CoverRow, cover_id)
        if row is None or row.hall != hall.id:
            raise HTTPException(404, f"no cover {cover_id}")
        if approval is not None:
            span = aware(row.end) - aware(row.start)
            if (
                approval.approver_role == "duty_chief"
                and span.total_seconds() > projector.policy.duty_chief_max_s
            ):
                raise HTTPException(
                    422,
                    "the duty chief may sign a leave of at most "
                    f"{projector.policy.duty_chief_max_s / 3600:g} h "
                    "(rule POST-6)",
                )
            row.approved_by, row.approver_role = approval.approved_by, approval.approver_role
            row.approved_at = utc(now)
        row.status = status
        s.add(row)
        out = row_out(row)
    tz = ZoneInfo(hall.timezone)
    window = next(w.id for w in hall.windows if out["seat"] in w.seats)
    day = out["start"].astimezone(tz).date()
    while day <= out["end"].astimezone(tz).date():
        projector.recompute(engine, hall.id, window, day)
        day += timedelta(days=1)
    return out


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
    return _decide(hall_or_404(halls, hall), cover_id, engine, projector, "approved", now, body)


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
    return _decide(hall_or_404(halls, hall), cover_id, engine, projector, "refused", now, None)


@admin.post("/{hall}/recompute", response_model=RecomputedPublic)
def recompute(
    hall: str, day: date, engine: EngineDep, halls: HallsDep, projector: ComplianceDep
) -> dict[str, Any]:
    """Re-judge every window of the hall for one day from the stored facts."""
    h = hall_or_404(halls, hall)
    counts = {w.id: len(projector.recompute(engine, hall, w.id, day).violations) for w in h.windows}
    return {"day": day, "violations": counts}
