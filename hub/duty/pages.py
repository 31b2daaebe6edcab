"""The duty area's dashboard pages: today (ledger, duty chief, opening check, duty checks), the
roster (grid, import, template, edit, overtime), the duty chief (rotation, log), leaders and
inspections, and the printable weekly report and monthly assessment notice (通报)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from hub.dashboard.web import lang_of, page_operator, render
from hub.duty.api_common import CHIEF_ROLES
from hub.duty.assessment import ranked
from hub.duty.assessment_store import assess
from hub.duty.checks import checks_of_day, shown
from hub.duty.chief_store import chief_on, log_between, rotations, stand_ins, unapproved_chief
from hub.duty.hallctx import HallDuty, load_duty_policy
from hub.duty.ledger_store import hall_duty, ledger_day
from hub.duty.opening import state
from hub.duty.roster import Role, month_days, month_key
from hub.duty.roster_store import OVERTIME, month_entries, staff_names, versions
from hub.duty.rotation import terms
from hub.duty.visits import inspections, sittings, sittings_by_week
from hub.duty.weekly import week_of, weekly_report
from hub.duty.words import catalogue
from hub.problems import NotFoundProblem
from hub.users.accounts import Operator
from hub.users.accounts import Role as OpRole

router = APIRouter(include_in_schema=False)
PageOp = Annotated[Operator, Depends(page_operator)]
OFFICE_ROLES = frozenset({OpRole.ADMIN, OpRole.SUPERVISOR})


def hall_of(request: Request) -> HallDuty:
    """The hub's first hall (the dashboard serves one hall per page, as the others do)."""
    halls = request.app.state.halls
    if not halls:
        raise NotFoundProblem("error.no_hall")
    return hall_duty(halls[0])


HallPage = Annotated[HallDuty, Depends(hall_of)]


def page(request: Request, name: str, op: Operator, context: dict[str, Any]) -> HTMLResponse:
    """Render with the duty words joined to the dashboard's catalogue."""
    lang = lang_of(request)
    return render(
        request,
        name,
        op,
        {
            "t": catalogue(lang),
            "can_office": op.role in OFFICE_ROLES,
            "can_chief": op.role in CHIEF_ROLES,
            **context,
        },
    )


def parse_month(text: str | None, default: str) -> str:
    """A YYYY-MM month from a query, else the default; 422 when malformed."""
    month = text or default
    try:
        month_days(month)
    except ValueError:
        raise HTTPException(422, "att.err.bad_day") from None  # words; the query not echoed
    return month


def parse_day(text: str | None, default: date) -> date:
    """A YYYY-MM-DD day from a query, else the default; 422 when malformed."""
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        raise HTTPException(422, "att.err.bad_day") from None  # words; the query not echoed


@router.get("/duty", response_class=HTMLResponse)
def duty_today(request: Request, op: PageOp, hd: HallPage, day: str | None = None) -> HTMLResponse:
    """Today: who holds each seat and why, handovers, flags, duty chief, opening, checks."""
    engine = request.app.state.engine
    now = request.app.state.clock()
    the_day = parse_day(day, hd.local_day(now))
    with engine.connect() as conn:
        ledger = ledger_day(conn, hd, the_day)
        names = staff_names(conn)
        found = chief_on(conn, hd, the_day)
        unapproved = unapproved_chief(conn, hd, the_day)
        opening = state(conn, hd, the_day, load_duty_policy(conn, hd.id))
        checks = [
            shown(c, now, op.role in CHIEF_ROLES) for c in checks_of_day(conn, hd.id, the_day)
        ]
    at = now if the_day == hd.local_day(now) else hd.closing(the_day) - timedelta(minutes=1)
    seats = []
    for seat, window in hd.seats():
        h = ledger.holder_at(seat, at)
        seats.append({"seat": seat, "window": window, "holding": h})
    return page(
        request,
        "duty_today.html",
        op,
        {
            "hd": hd,
            "zone": hd.hall.timezone,
            "day": the_day,
            "at": at,
            "seats": seats,
            "ledger": ledger,
            "names": names,
            "chief": found,
            "unapproved": unapproved,
            "opening": opening,
            "checks": checks,
            "now": now,
        },
    )


@router.get("/duty/roster", response_class=HTMLResponse)
def duty_roster(
    request: Request, op: PageOp, hd: HallPage, month: str | None = None
) -> HTMLResponse:
    """The month's roster as a grid (days x seats), its filings, import and edit, overtime."""
    engine = request.app.state.engine
    now = request.app.state.clock()
    the_month = parse_month(month, month_key(hd.local_day(now)))
    first, last = month_days(the_month)
    with engine.connect() as conn:
        entries = month_entries(conn, hd.id, the_month)
        filed = versions(conn, hd.id, the_month)
        names = staff_names(conn)
        overtime = [
            dict(r)
            for r in conn.execute(
                OVERTIME.select()
                .where(OVERTIME.c.hall == hd.id, OVERTIME.c.day >= first, OVERTIME.c.day <= last)
                .order_by(OVERTIME.c.day)
            ).mappings()
        ]
    days = sorted({e.day for e in entries})
    grid: dict[tuple[date, str], dict[str, str]] = {}
    chiefs: dict[tuple[date, str], str] = {}
    for e in entries:
        if e.role is Role.CHIEF:
            chiefs[(e.day, e.window)] = e.staff_id
        else:
            grid.setdefault((e.day, e.seat or ""), {})[e.role.value] = e.staff_id
    holidays = {e.day for e in entries if e.holiday}
    return page(
        request,
        "duty_roster.html",
        op,
        {
            "hd": hd,
            "month": the_month,
            "days": days,
            "grid": grid,
            "chiefs": chiefs,
            "holidays": holidays,
            "versions": filed,
            "names": names,
            "overtime": overtime,
            "zone": hd.hall.timezone,
            "result": request.query_params.get("result"),
        },
    )


@router.get("/duty/chief", response_class=HTMLResponse)
def duty_chief(request: Request, op: PageOp, hd: HallPage) -> HTMLResponse:
    """The duty chief: rotation terms, stand-ins, and the log of the last four weeks."""
    engine = request.app.state.engine
    now = request.app.state.clock()
    today = hd.local_day(now)
    with engine.connect() as conn:
        rots = rotations(conn, hd.id)
        log = log_between(conn, hd.id, today - timedelta(days=27), today)
        subs = stand_ins(conn, hd.id)
        names = staff_names(conn)
        found = chief_on(conn, hd, today)
        unapproved = unapproved_chief(conn, hd, today)
    return page(
        request,
        "duty_chief.html",
        op,
        {
            "hd": hd,
            "today": today,
            "chief": found,
            "unapproved": unapproved,
            "terms": terms(rots, today - timedelta(days=14), today + timedelta(days=55)),
            "rotation": rots[-1] if rots else None,
            "stand_ins": subs,
            "log": list(reversed(log)),
            "names": names,
            "zone": hd.hall.timezone,
            "week": week_of(today),
        },
    )


@router.get("/duty/visits", response_class=HTMLResponse)
def duty_visits(
    request: Request, op: PageOp, hd: HallPage, month: str | None = None
) -> HTMLResponse:
    """Leaders sitting in (DUTY-3) and inspections (DUTY-4) of a month."""
    engine = request.app.state.engine
    now = request.app.state.clock()
    the_month = parse_month(month, month_key(hd.local_day(now)))
    first, last = month_days(the_month)
    with engine.connect() as conn:
        rows = sittings(conn, hd, first, last)
        per_week = load_duty_policy(conn, hd.id).weekly.leader_sittings_per_week
        found = inspections(conn, hd, first, last)
        names = staff_names(conn)
    return page(
        request,
        "duty_visits.html",
        op,
        {
            "hd": hd,
            "month": the_month,
            "sittings": rows,
            "weeks": sittings_by_week(rows, first, last, per_week),
            "inspections": found,
            "names": names,
            "zone": hd.hall.timezone,
            "today": hd.local_day(now),
        },
    )


@router.get("/duty/weekly", response_class=HTMLResponse)
def duty_weekly(
    request: Request, op: PageOp, hd: HallPage, week: str | None = None
) -> HTMLResponse:
    """The duty chief's weekly written report, a printable page (DUTY-2)."""
    engine = request.app.state.engine
    now = request.app.state.clock()
    monday = parse_day(week, week_of(hd.local_day(now)))
    with engine.connect() as conn:
        report = weekly_report(conn, hd, monday, now)
        names = staff_names(conn)
    return page(
        request,
        "duty_weekly.html",
        op,
        {
            "r": report,
            "names": names,
            "zone": hd.hall.timezone,
            "now": now,
            "timedelta_week": timedelta(days=7),
        },
    )


@router.get("/duty/assessment", response_class=HTMLResponse)
def duty_assessment(
    request: Request, op: PageOp, hd: HallPage, month: str | None = None
) -> HTMLResponse:
    """The month's assessment notice (通报), printable; the points policy a hall edits."""
    engine = request.app.state.engine
    now = request.app.state.clock()
    the_month = parse_month(month, month_key(hd.local_day(now)))
    with engine.begin() as conn:
        out, frozen = assess(conn, hd, the_month, now)
        names = staff_names(conn)
        policy = load_duty_policy(conn, hd.id)
    return page(
        request,
        "duty_assessment.html",
        op,
        {
            "hd": hd,
            "month": the_month,
            "frozen": frozen,
            "staff": ranked([a for a in out if a.subject_kind == "staff"]),
            "windows": ranked([a for a in out if a.subject_kind == "window"]),
            "names": names,
            "points": policy.points,
            "now": now,
            "zone": hd.hall.timezone,
        },
    )
