"""The compliance API (prefix /api/compliance): away periods, violations with evidence, notices,
handovers, alerts, reports (JSON/CSV), seat assignments, covers and the duty-check log.

`router` plugs into hub.api.app.create_app; it reads the engine, halls, clock and command
sender from app.state (hub.api.deps), and keeps one CompliancePresence on
app.state.compliance (built on first use) to recompute after covers or assignments change.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.api.deps import EngineDep, HallsDep, NowDep
from hub.api.public import CSV, FILE, XLSX
from hub.compliance.api_admin import admin
from hub.compliance.api_common import DayQ, DaysDep, day_range, hall_or_404, row_out
from hub.compliance.public import (
    AwayPublic,
    ComplianceAlertPublic,
    CompliancePublicReport,
    HandoverPublic,
    NoticePublic,
    ViolationPublic,
)
from hub.compliance.reports import RULES, build_report, month_range
from hub.compliance.tables import (
    AlertRow,
    AwayRow,
    HandoverRow,
    NoticeRow,
    ViolationRow,
)
from hub.problems import InvalidProblem
from models.layout import Hall

router = APIRouter(prefix="/api/compliance", tags=["compliance"])
REPORT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {CSV: FILE, XLSX: FILE},
        "description": "The report: JSON, or the file with format=csv|xlsx",
    }
}


def _rows_of_days(
    engine: Engine,
    model: Any,
    hall: str,
    days: tuple[date, date],
    *also: Any,
    order: Any = None,
) -> list[dict[str, Any]]:
    """The hall's rows of `model` on the days from `days[0]` to `days[1]`, with `also`'s
    conditions, in `order` (None: as stored)."""
    first, last = days
    q = select(model).where(
        model.hall == hall, col(model.day) >= first, col(model.day) <= last, *also
    )
    if order is not None:
        q = q.order_by(col(order))
    with Session(engine) as s:
        return [row_out(r) for r in s.exec(q).all()]


@router.get("/{hall}/away", response_model=list[AwayPublic])
def away_periods(
    hall: str,
    engine: EngineDep,
    days: DaysDep,
) -> list[dict[str, Any]]:
    """Away periods of the hall's seats (end null: still away)."""
    return _rows_of_days(engine, AwayRow, hall, days, order=AwayRow.start)


@router.get("/{hall}/violations", response_model=list[ViolationPublic])
def violations(
    hall: str,
    engine: EngineDep,
    days: DaysDep,
    rule: str | None = None,
    staff_id: str | None = None,
) -> list[dict[str, Any]]:
    """Violations with their rule id and evidence (the sign and presence timeline slice)."""
    also = [ViolationRow.rule == rule] if rule else []
    if staff_id:
        also.append(ViolationRow.staff_id == staff_id)
    return _rows_of_days(engine, ViolationRow, hall, days, *also, order=ViolationRow.start)


@router.get("/{hall}/notices", response_model=list[NoticePublic])
def notices(
    hall: str,
    engine: EngineDep,
    days: DaysDep,
) -> list[dict[str, Any]]:
    """POST-3/POST-4 notices sent to neighbour windows."""
    return _rows_of_days(engine, NoticeRow, hall, days)


@router.get("/{hall}/handovers", response_model=list[HandoverPublic])
def handovers(
    hall: str,
    engine: EngineDep,
    days: DaysDep,
) -> list[dict[str, Any]]:
    """The A/B handover log (rule POST-7)."""
    return _rows_of_days(engine, HandoverRow, hall, days, order=HandoverRow.at)


@router.get("/{hall}/alerts", response_model=list[ComplianceAlertPublic])
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
        return [row_out(r) for r in rows]


def _report(
    request: Request, engine: Any, hall: Hall, first: date, last: date, by: str, fmt: str
) -> Any:
    report = build_report(engine, hall.id, first, last)
    if fmt in ("csv", "xlsx"):
        return _export(request, engine, hall, report, first, last, by, fmt)
    lines = report.by_staff if by == "staff" else report.by_window
    return {
        "hall": hall.id,
        "start": first,
        "end": last,
        "by": by,
        "lines": [ln.row() for ln in lines],
    }


REPORT_COLUMNS = (
    "key",
    "name",
    "days",
    "on_post_min",
    "extended_min",
    "away_count",
    "away_min",
    "violations_total",
    *RULES,
    "notices",
)


def _export(
    request: Request,
    engine: Any,
    hall: Hall,
    report: Any,
    first: date,
    last: date,
    by: str,
    fmt: str,
) -> Any:
    """The report for a Chinese office: staff and window sheets, headers in words (18.8)."""
    from hub.exports import Sheet, download, export_lang
    from hub.staff.tables import Staff

    with Session(engine) as s:
        people = {m.staff_id: m.name for m in s.exec(select(Staff)).all()}
    windows = hall.window_names()
    staff_rows = [{**ln.row(), "name": people.get(ln.key, "")} for ln in report.by_staff]
    window_rows = [{**ln.row(), "name": windows.get(ln.key, "")} for ln in report.by_window]
    sheets = [
        Sheet("compliance.sheet.staff", REPORT_COLUMNS, staff_rows, "compliance.col."),
        Sheet(
            "compliance.sheet.windows",
            REPORT_COLUMNS,
            window_rows,
            "compliance.col.window_",
            "compliance.col.",
        ),
    ]
    if by == "window":
        sheets.reverse()
    lang = export_lang(request)
    stem = f"{hall.id}-{first}-{last}"
    return download(lang, "exports.compliance", stem, fmt, sheets)


ByQ = Annotated[Literal["staff", "window"], Query()]
FormatQ = Annotated[Literal["json", "csv", "xlsx"], Query()]


@router.get(
    "/{hall}/reports/daily", response_model=CompliancePublicReport, responses=REPORT_RESPONSES
)
def daily_report(
    request: Request,
    hall: str,
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    day: DayQ = None,
    by: ByQ = "staff",
    format: FormatQ = "json",
) -> Any:
    """One day's compliance per staff member or window (JSON, or CSV with format=csv)."""
    the_hall = hall_or_404(halls, hall)
    first, _ = day_range(day, None, None, now, the_hall)
    return _report(request, engine, the_hall, first, first, by, format)


@router.get(
    "/{hall}/reports/monthly", response_model=CompliancePublicReport, responses=REPORT_RESPONSES
)
def monthly_report(
    request: Request,
    hall: str,
    engine: EngineDep,
    halls: HallsDep,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
    by: ByQ = "staff",
    format: FormatQ = "json",
) -> Any:
    """A month's compliance per staff member or window (`month` as YYYY-MM)."""
    the_hall = hall_or_404(halls, hall)
    year, mon = (int(x) for x in month.split("-"))
    if not 1 <= mon <= 12:
        raise InvalidProblem("error.bad_month")
    first, last = month_range(year, mon)
    return _report(request, engine, the_hall, first, last, by, format)


router.include_router(admin)
