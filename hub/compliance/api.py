"""The compliance API (prefix /api/compliance): away periods, violations with evidence, notices,
handovers, alerts, reports (JSON/CSV), seat assignments, covers and the duty-check log.

`router` plugs into hub.api.app.create_app; it reads the engine, halls, clock and command
sender from app.state (hub.api.deps), and keeps one CompliancePresence on
app.state.compliance (built on first use) to recompute after covers or assignments change.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlmodel import Session, SQLModel, col, select

from hub.api.deps import EngineDep, HallsDep, NowDep
from hub.compliance.checks import check_log, plan_day, record_check
from hub.compliance.projector import CompliancePresence
from hub.compliance.reports import build_report, month_range, report_csv
from hub.compliance.tables import (
    AlertRow,
    AwayRow,
    CoverRow,
    HandoverRow,
    NoticeRow,
    SeatAssignment,
    ViolationRow,
    aware,
    utc,
)
from hub.db import session_scope
from models.layout import Hall

router = APIRouter(prefix="/api/compliance", tags=["compliance"])


def get_compliance(request: Request) -> CompliancePresence:
    """The app's compliance projector (app.state.compliance), built on first use."""
    state = request.app.state
    projector: CompliancePresence | None = getattr(state, "compliance", None)
    if projector is None:
        projector = CompliancePresence(
            state.halls, getattr(state, "commands", None), clock=state.clock
        )
        state.compliance = projector
    return projector


ComplianceDep = Annotated[CompliancePresence, Depends(get_compliance)]


class Strict(BaseModel):
    """Request bodies: unknown keys are an error."""

    model_config = ConfigDict(extra="forbid")


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


class CheckIn(Strict):
    """A performed duty check (rule POST-8): what the duty chief saw per seat."""

    checked_by: str = Field(min_length=1, max_length=64)
    at: AwareDatetime | None = None
    seen: dict[str, bool] = Field(default_factory=dict)
    notes: dict[str, str] = Field(default_factory=dict)
    note: str = Field(default="", max_length=1000)


def _hall(halls: list[Hall], hall: str) -> Hall:
    for h in halls:
        if h.id == hall:
            return h
    raise HTTPException(404, f"unknown hall {hall!r}")


def _out(row: SQLModel) -> dict[str, Any]:
    data = row.model_dump()
    return {k: aware(v) if isinstance(v, datetime) else v for k, v in data.items()}


def _range(
    day: date | None, start: date | None, end: date | None, now: datetime, hall: Hall
) -> tuple[date, date]:
    today = now.astimezone(ZoneInfo(hall.timezone)).date()
    if day is not None:
        return day, day
    return start or today, end or start or today


DayQ = Annotated[date | None, Query(description="One day (hall-local)")]
StartQ = Annotated[date | None, Query(description="First day of a range")]
EndQ = Annotated[date | None, Query(description="Last day of a range")]


@router.get("/{hall}/away")
def away_periods(
    hall: str,
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    day: DayQ = None,
    start: StartQ = None,
    end: EndQ = None,
) -> list[dict[str, Any]]:
    """Away periods of the hall's seats (end null: still away)."""
    first, last = _range(day, start, end, now, _hall(halls, hall))
    with Session(engine) as s:
        rows = s.exec(
            select(AwayRow)
            .where(AwayRow.hall == hall, col(AwayRow.day) >= first, col(AwayRow.day) <= last)
            .order_by(col(AwayRow.start))
        ).all()
        return [_out(r) for r in rows]


@router.get("/{hall}/violations")
def violations(
    hall: str,
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    day: DayQ = None,
    start: StartQ = None,
    end: EndQ = None,
    rule: str | None = None,
    staff_id: str | None = None,
) -> list[dict[str, Any]]:
    """Violations with their rule id and evidence (the sign and presence timeline slice)."""
    first, last = _range(day, start, end, now, _hall(halls, hall))
    q = select(ViolationRow).where(
        ViolationRow.hall == hall, col(ViolationRow.day) >= first, col(ViolationRow.day) <= last
    )
    if rule:
        q = q.where(ViolationRow.rule == rule)
    if staff_id:
        q = q.where(ViolationRow.staff_id == staff_id)
    with Session(engine) as s:
        return [_out(r) for r in s.exec(q.order_by(col(ViolationRow.start))).all()]


@router.get("/{hall}/notices")
def notices(
    hall: str,
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    day: DayQ = None,
    start: StartQ = None,
    end: EndQ = None,
) -> list[dict[str, Any]]:
    """POST-3/POST-4 notices sent to neighbour windows."""
    first, last = _range(day, start, end, now, _hall(halls, hall))
    with Session(engine) as s:
        rows = s.exec(
            select(NoticeRow).where(
                NoticeRow.hall == hall, col(NoticeRow.day) >= first, col(NoticeRow.day) <= last
            )
        ).all()
        return [_out(r) for r in rows]


@router.get("/{hall}/handovers")
def handovers(
    hall: str,
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    day: DayQ = None,
    start: StartQ = None,
    end: EndQ = None,
) -> list[dict[str, Any]]:
    """The A/B handover log (rule POST-7)."""
    first, last = _range(day, start, end, now, _hall(halls, hall))
    with Session(engine) as s:
        rows = s.exec(
            select(HandoverRow)
            .where(
                HandoverRow.hall == hall,
                col(HandoverRow.day) >= first,
                col(HandoverRow.day) <= last,
            )
            .order_by(col(HandoverRow.at))
        ).all()
        return [_out(r) for r in rows]


@router.get("/{hall}/alerts")
def alerts(
    hall: str,
    engine: EngineDep,
    after_id: int = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """Live alerts after `after_id` (poll with the last id you saw)."""
    with Session(engine) as s:
        rows = s.exec(
            select(AlertRow)
            .where(AlertRow.hall == hall, col(AlertRow.id) > after_id)
            .order_by(col(AlertRow.id))
            .limit(limit)
        ).all()
        return [_out(r) for r in rows]


def _report(engine: Any, hall: str, first: date, last: date, by: str, fmt: str) -> Any:
    report = build_report(engine, hall, first, last)
    if fmt == "csv":
        name = f"compliance-{hall}-{first}-{last}-{by}.csv"
        return PlainTextResponse(
            report_csv(report, by),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    lines = report.by_staff if by == "staff" else report.by_window
    return {
        "hall": hall,
        "start": first,
        "end": last,
        "by": by,
        "lines": [ln.row() for ln in lines],
    }


ByQ = Annotated[Literal["staff", "window"], Query()]
FormatQ = Annotated[Literal["json", "csv"], Query()]


@router.get("/{hall}/reports/daily")
def daily_report(
    hall: str,
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    day: DayQ = None,
    by: ByQ = "staff",
    format: FormatQ = "json",
) -> Any:
    """One day's compliance per staff member or window (JSON, or CSV with format=csv)."""
    first, _ = _range(day, None, None, now, _hall(halls, hall))
    return _report(engine, hall, first, first, by, format)


@router.get("/{hall}/reports/monthly")
def monthly_report(
    hall: str,
    engine: EngineDep,
    halls: HallsDep,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
    by: ByQ = "staff",
    format: FormatQ = "json",
) -> Any:
    """A month's compliance per staff member or window (`month` as YYYY-MM)."""
    _hall(halls, hall)
    year, mon = (int(x) for x in month.split("-"))
    if not 1 <= mon <= 12:
        raise HTTPException(422, "month must be 01..12")
    first, last = month_range(year, mon)
    return _report(engine, hall, first, last, by, format)


@router.get("/{hall}/assignments")
def assignments(hall: str, engine: EngineDep) -> list[dict[str, Any]]:
    """Who holds each seat."""
    with Session(engine) as s:
        return [
            _out(r)
            for r in s.exec(
                select(SeatAssignment)
                .where(SeatAssignment.hall == hall)
                .order_by(col(SeatAssignment.seat))
            ).all()
        ]


@router.put("/{hall}/assignments/{seat}")
def assign(
    hall: str, seat: str, body: AssignmentIn, engine: EngineDep, halls: HallsDep
) -> dict[str, Any]:
    """Set who holds a seat, and its A/B role."""
    h = _hall(halls, hall)
    window = next((w.id for w in h.windows if seat in w.seats), None)
    if window is None:
        raise HTTPException(404, f"unknown seat {seat!r}")
    with session_scope(engine) as s:
        row = s.get(SeatAssignment, (hall, seat)) or SeatAssignment(
            hall=hall, seat=seat, window=window, staff_id=body.staff_id
        )
        row.staff_id, row.role, row.window = body.staff_id, body.role, window
        s.add(row)
        return _out(row)


@router.get("/{hall}/covers")
def covers(hall: str, engine: EngineDep) -> list[dict[str, Any]]:
    """Cover requests and approvals, newest first."""
    with Session(engine) as s:
        return [
            _out(r)
            for r in s.exec(
                select(CoverRow).where(CoverRow.hall == hall).order_by(col(CoverRow.id).desc())
            ).all()
        ]


@router.post("/{hall}/covers", status_code=201)
def request_cover(
    hall: str, body: CoverIn, engine: EngineDep, halls: HallsDep, now: NowDep
) -> dict[str, Any]:
    """Ask for a temporary leave with a cover (rule POST-6)."""
    h = _hall(halls, hall)
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
        return _out(row)


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
        out = _out(row)
    tz = ZoneInfo(hall.timezone)
    window = next(w.id for w in hall.windows if out["seat"] in w.seats)
    day = out["start"].astimezone(tz).date()
    while day <= out["end"].astimezone(tz).date():
        projector.recompute(engine, hall.id, window, day)
        day += timedelta(days=1)
    return out


@router.post("/{hall}/covers/{cover_id}/approve")
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
    return _decide(_hall(halls, hall), cover_id, engine, projector, "approved", now, body)


@router.post("/{hall}/covers/{cover_id}/refuse")
def refuse_cover(
    hall: str,
    cover_id: int,
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    projector: ComplianceDep,
) -> dict[str, Any]:
    """Refuse a cover request."""
    return _decide(_hall(halls, hall), cover_id, engine, projector, "refused", now, None)


@router.post("/{hall}/recompute")
def recompute(
    hall: str, day: date, engine: EngineDep, halls: HallsDep, projector: ComplianceDep
) -> dict[str, Any]:
    """Re-judge every window of the hall for one day from the stored facts."""
    h = _hall(halls, hall)
    counts = {w.id: len(projector.recompute(engine, hall, w.id, day).violations) for w in h.windows}
    return {"day": day, "violations": counts}


@router.post("/{hall}/duty-checks/plan")
def plan_checks(
    hall: str,
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    projector: ComplianceDep,
    day: DayQ = None,
) -> list[dict[str, Any]]:
    """The day's two random check times (rule POST-8); the same ones on every call."""
    h = _hall(halls, hall)
    first, _ = _range(day, None, None, now, h)
    working = projector.schedules[hall].working(first)
    return [_out(r) for r in plan_day(engine, h, first, working, random.SystemRandom())]


@router.post("/{hall}/duty-checks/{check_id}/record")
def record(
    hall: str, check_id: int, body: CheckIn, engine: EngineDep, halls: HallsDep, now: NowDep
) -> list[dict[str, Any]]:
    """Log a performed check: the chief's observations next to the sensors' (rule POST-8)."""
    try:
        entries = record_check(
            engine,
            _hall(halls, hall),
            check_id,
            checked_by=body.checked_by,
            at=body.at or now,
            seen=body.seen,
            notes=body.notes,
            note=body.note,
        )
    except KeyError:
        raise HTTPException(404, f"no duty check {check_id}") from None
    return [_out(e) for e in entries]


@router.get("/{hall}/duty-checks")
def duty_checks(
    hall: str,
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    day: DayQ = None,
    start: StartQ = None,
    end: EndQ = None,
) -> list[dict[str, object]]:
    """The duty chief's check log with per-seat entries."""
    first, last = _range(day, start, end, now, _hall(halls, hall))
    return check_log(engine, hall, first, last)
