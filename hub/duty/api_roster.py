"""Duty API, roster and ledger: the monthly roster (import, template, edit, versions), overtime
for holiday duty, and the post ledger of a day (rules DUTY-1, POST-7, ATT-7, POST-6)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import Field

from hub.api.deps import EngineDep, NowDep
from hub.api.public import CSV, FILE, XLSX
from hub.duty.api_common import (
    REFUSED,
    HallDep,
    OperatorDep,
    Strict,
    actor_of,
    issues_out,
    lang_of,
    month_or_422,
    refused,
)
from hub.duty.hallctx import audit_in
from hub.duty.ledger import LedgerDay
from hub.duty.ledger_store import ledger_day
from hub.duty.public import (
    HolderNowPublic,
    LedgerPublic,
    OvertimePublic,
    RosterEdited,
    RosterImported,
    RosterPublic,
)
from hub.duty.roster import RosterEntry, filing_deadline, month_key
from hub.duty.roster_desk import RosterRefused, edit_roster, import_roster
from hub.duty.roster_store import OVERTIME, month_entries, standing_seats, versions
from hub.duty.rosterio import template_csv, template_rows, template_xlsx
from hub.problems import NotFoundProblem, Problem, TooLargeProblem

router = APIRouter()
TEMPLATE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {CSV: FILE, XLSX: FILE}, "description": "The template (format=csv|xlsx)"}
}
MAX_UPLOAD = 2 * 1024 * 1024


class CellIn(Strict):
    """One cell of the roster: who holds `role` at `seat` (or window, for chief) on `day`."""

    day: date
    seat: str = Field(min_length=1, max_length=63)
    role: str = Field(min_length=1, max_length=8)
    staff_id: str | None = Field(default=None, max_length=64)
    why: str = Field(default="", max_length=500)


class DecisionIn(Strict):
    """Approve or refuse holiday overtime (加班, 002)."""

    approve: bool
    why: str = Field(default="", max_length=500)


def _entry_out(e: RosterEntry) -> dict[str, Any]:
    return {
        "staff_id": e.staff_id,
        "day": e.day.isoformat(),
        "window": e.window,
        "seat": e.seat,
        "role": e.role.value,
        "holiday": e.holiday,
    }


@router.get("/{hall}/roster", response_model=RosterPublic)
def get_roster(
    hall: HallDep, engine: EngineDep, now: NowDep, month: str | None = None
) -> dict[str, Any]:
    """The month's roster in force, its filings, and whether it was filed in time (DUTY-1)."""
    month = month or month_key(hall.local_day(now))
    month_or_422(month)
    with engine.connect() as conn:
        entries = month_entries(conn, hall.id, month)
        filed = versions(conn, hall.id, month)
    return {
        "hall": hall.id,
        "month": month,
        "deadline": filing_deadline(month, hall.zone),
        "late": bool(filed) and bool(filed[-1]["late"]),
        "versions": filed,
        "entries": [_entry_out(e) for e in entries],
    }


@router.post("/{hall}/roster/import", response_model=RosterImported, responses=REFUSED)
async def post_roster_import(
    request: Request,
    hall: HallDep,
    engine: EngineDep,
    now: NowDep,
    op: OperatorDep,
    file: Annotated[UploadFile, File(description="CSV or XLSX: 工号,日期,岗位,岗别")],
    month: Annotated[str | None, Form()] = None,
    why: Annotated[str, Form(max_length=500)] = "",
) -> Any:
    """File a month's roster from a file; 422 with every reason when anything is wrong."""
    data = await file.read(MAX_UPLOAD + 1)
    lang = lang_of(request)
    if len(data) > MAX_UPLOAD:
        raise TooLargeProblem("roster.err_too_large", mb=MAX_UPLOAD // 2**20)
    try:
        filed = import_roster(
            engine,
            hall,
            data,
            filename=file.filename or "",
            actor=actor_of(request, op),
            now=now,
            month=month or None,
            why=why,
        )
    except RosterRefused as exc:
        return refused(exc.issues, lang)
    return {"version": filed.version, "warnings": issues_out(filed.warnings, lang)}


@router.put("/{hall}/roster/cell", response_model=RosterEdited, responses=REFUSED)
def put_roster_cell(
    request: Request, body: CellIn, hall: HallDep, engine: EngineDep, now: NowDep, op: OperatorDep
) -> Any:
    """Set or clear one cell: a new version of the month, audited (DUTY-1)."""
    try:
        filed = edit_roster(
            engine,
            hall,
            day=body.day,
            seat=body.seat,
            role=body.role,
            staff_id=body.staff_id or None,
            actor=actor_of(request, op),
            now=now,
            why=body.why,
        )
    except RosterRefused as exc:
        return refused(exc.issues, lang_of(request))
    return {"version": filed.version}


@router.get("/{hall}/roster/template", response_class=Response, responses=TEMPLATE_RESPONSES)
def get_template(
    hall: HallDep,
    engine: EngineDep,
    now: NowDep,
    month: str | None = None,
    format: Literal["csv", "xlsx"] = "xlsx",
) -> Response:
    """A template to fill in: the month's roster in force, else an example for the first day."""
    month = month or month_key(hall.local_day(now))
    first, _ = month_or_422(month)
    with engine.connect() as conn:
        entries = month_entries(conn, hall.id, month)
        standing = standing_seats(conn, hall)
    rows = template_rows(entries)
    if not entries:  # an example to fill in: the standing seats on the month's first day
        rows = [(s.a or "", first.isoformat(), s.seat, "A岗") for s in standing]
    name = f"roster-{hall.id}-{month}.{format}"
    if format == "csv":
        body, media = template_csv(rows), "text/csv; charset=utf-8"
    else:
        body = template_xlsx(rows, TEMPLATE_NOTES)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


TEMPLATE_NOTES = {
    "工号": "人员名单中的工号（staff_id）",
    "日期": "某一天 2026-12-07；整月工作日 2026-12；区间内工作日 2026-12-07~2026-12-11；"
    "节假日写具体日期即为节假日值班（记加班，待审批）",
    "岗位": "岗位编号（如 w01-a）；单人窗口可写窗口编号（如 w02）；首席代表写窗口编号",
    "岗别": "A岗、B岗 或 首席代表（A 岗在岗负责，A 岗请假、病假、离岗时 B 岗自动顶岗，POST-7）",
    "报送": "每月底前报送下月排班表（DUTY-1），逾期报送会被标记",
}


def ledger_out(ledger: LedgerDay) -> dict[str, Any]:
    """A day's ledger as JSON."""
    return {
        "day": ledger.day.isoformat(),
        "holdings": [
            {
                "seat": h.seat,
                "window": h.window,
                "staff_id": h.staff_id,
                "basis": h.basis.value,
                "start": h.start,
                "end": h.end,
                "cause": h.cause,
                "ref": h.ref,
            }
            for h in ledger.holdings
        ],
        "handovers": [
            {
                "seat": x.seat,
                "window": x.window,
                "at": x.at,
                "from_staff": x.from_staff,
                "to_staff": x.to_staff,
                "basis": x.basis.value,
                "cause": x.cause,
                "planned": x.planned,
                "notice_at": x.notice_at,
                "rule": "POST-7",
            }
            for x in ledger.handovers
        ],
        "flags": [
            {
                "kind": f.kind.value,
                "rule": f.rule,
                "seat": f.seat,
                "window": f.window,
                "staff_id": f.staff_id,
                "start": f.start,
                "end": f.end,
                "detail": f.detail,
                "ref": f.ref,
            }
            for f in ledger.flags
        ],
    }


@router.get("/{hall}/ledger", response_model=LedgerPublic)
def get_ledger(
    hall: HallDep, engine: EngineDep, now: NowDep, day: date | None = None
) -> dict[str, Any]:
    """Who holds each seat through the day and why; handovers and flags (default: today)."""
    with engine.connect() as conn:
        ledger = ledger_day(conn, hall, day or hall.local_day(now))
    return ledger_out(ledger)


@router.get("/{hall}/ledger/now", response_model=list[HolderNowPublic])
def get_ledger_now(hall: HallDep, engine: EngineDep, now: NowDep) -> list[dict[str, Any]]:
    """Who holds each seat now (the hall map and the rating devices show this, RATE-2)."""
    with engine.connect() as conn:
        ledger = ledger_day(conn, hall, hall.local_day(now))
    out = []
    for seat, window in hall.seats():
        h = ledger.holder_at(seat, now)
        out.append(
            {
                "seat": seat,
                "window": window,
                "staff_id": h.staff_id if h else None,
                "basis": h.basis.value if h else "vacant",
                "cause": h.cause if h else "",
                "since": h.start if h else None,
            }
        )
    return out


@router.get("/{hall}/overtime", response_model=list[OvertimePublic])
def get_overtime(
    hall: HallDep, engine: EngineDep, month: Annotated[str, Query()]
) -> list[dict[str, Any]]:
    """Holiday duty of a month awaiting or given approval (加班, ATT-10)."""
    first, last = month_or_422(month)
    q = (
        sa.select(OVERTIME)
        .where(OVERTIME.c.hall == hall.id, OVERTIME.c.day >= first, OVERTIME.c.day <= last)
        .order_by(OVERTIME.c.day, OVERTIME.c.staff_id)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


@router.post("/{hall}/overtime/{overtime_id}/decision", response_model=OvertimePublic)
def post_overtime_decision(
    request: Request,
    overtime_id: int,
    body: DecisionIn,
    hall: HallDep,
    engine: EngineDep,
    now: NowDep,
    op: OperatorDep,
) -> dict[str, Any]:
    """Approve or refuse a holiday duty's overtime (once; audited)."""
    actor = actor_of(request, op)
    with engine.begin() as conn:
        row = (
            conn.execute(
                sa.select(OVERTIME).where(OVERTIME.c.id == overtime_id, OVERTIME.c.hall == hall.id)
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFoundProblem("duty.err.no_overtime", id=overtime_id)
        if row["status"] != "pending":
            raise Problem("duty.err.overtime_decided", id=overtime_id)
        status = "approved" if body.approve else "refused"
        conn.execute(
            sa.update(OVERTIME)
            .where(OVERTIME.c.id == overtime_id)
            .values(status=status, decided_by=actor, decided_at=now, note=body.why)
        )
        audit_in(
            conn,
            actor=actor,
            action=f"overtime.{status}",
            entity="overtime",
            entity_id=overtime_id,
            why=body.why,
            at=now,
        )
    return {**dict(row), "status": status, "decided_by": actor, "decided_at": now}
