"""The dashboard's record pages: attendance (day, month, leave approval), violations, ratings."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from hub.dashboard import views
from hub.dashboard.charts import bar_chart
from hub.dashboard.i18n import translator
from hub.dashboard.routes import DashDep, PageOp, redirect_with
from hub.dashboard.web import lang_of, render
from hub.users.accounts import Operator, Role, audit
from hub.users.security import check_csrf

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

DEPARTMENT_ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.DUTY_CHIEF, Role.WINDOW_LEAD)
OFFICE_ROLES = (Role.ADMIN, Role.SUPERVISOR)  # 督查考核科 (rule ATT-5)
STATUS_COLORS = ("#2a9d6f", "#d9822b", "#e0b000", "#7a4fb5", "#c23030", "#2f6fb2")


def next_stage(status: str) -> str | None:
    """Which approval a leave waits for (rule ATT-5: department head first, then the office)."""
    return {"pending": "department", "dept_approved": "office"}.get(status)


def may_decide(role: Role, stage: str | None) -> bool:
    """Whether a role may take the decision of this stage."""
    if stage == "department":
        return role in DEPARTMENT_ROLES
    if stage == "office":
        return role in OFFICE_ROLES
    return False


def _attendance(dash: Any) -> Any:
    """The hub's attendance area (`AttendanceContext`); 404 when this hub runs without it."""
    if dash.attendance is None:
        raise HTTPException(404, "error.no_attendance")
    return dash.attendance


@router.get("/attendance", response_class=HTMLResponse)
def attendance_page(
    request: Request, op: PageOp, dash: DashDep, day: str | None = None, month: str | None = None
) -> HTMLResponse:
    """Attendance: the day's checkpoints, the month's summary, leave requests, exports."""
    ctx = _attendance(dash)
    from hub.attendance.facts import LeaveKind
    from hub.attendance.reports import day_list, month_report

    h = dash.hall(None)
    the_day = views.parse_day(day, views.local_day(dash.clock(), h))
    the_month = month if month and len(month) == 7 else views.month_of(the_day)
    engine = request.app.state.engine
    try:
        people = day_list(engine, ctx.projector, the_day)
        report = month_report(engine, ctx.projector, the_month)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    t = translator(lang_of(request))
    counts = views.status_counts(people)
    chart = bar_chart(
        [(t(s) if s != "ok" else t("ok"), float(n)) for s, n in counts],
        title=t("statuses"),
        colors=STATUS_COLORS,
    )
    leaves = ctx.workflow.list_leaves()[:60]
    for lv in leaves:
        lv["stage"] = next_stage(lv["status"])
        lv["can_decide"] = may_decide(op.role, lv["stage"])
    return render(
        request,
        "attendance.html",
        op,
        {
            "day": the_day,
            "month": the_month,
            "people": people,
            "report": report,
            "chart": chart,
            "leaves": leaves,
            "zone": h.timezone,
            "kinds": [k.value for k in LeaveKind],
            "checkpoints": ctx.projector.policy.checkpoint_names(),
            "can_request": op.role in DEPARTMENT_ROLES,
            "can_correct": op.role in OFFICE_ROLES,
        },
    )


@router.post("/attendance/leaves/{leave_id}/decide")
def decide_leave(
    request: Request,
    leave_id: int,
    op: PageOp,
    dash: DashDep,
    approve: Annotated[str, Form()] = "1",
    why: Annotated[str, Form(max_length=500)] = "",
    day: Annotated[str, Form()] = "",
    month: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Approve or refuse a leave at its next stage, as the logged-in operator (audited)."""
    from hub.attendance.desk import NotFound, WorkflowError

    check_csrf(request, csrf_token)
    wf = _attendance(dash).workflow
    try:
        before = wf.get_leave(leave_id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    stage = next_stage(before["status"])
    if stage is None:
        raise HTTPException(409, "att.leave_nothing_to_decide")
    if not may_decide(op.role, stage):
        raise HTTPException(403, f"forbidden.leave_{stage}")  # rule ATT-5
    yes = approve not in ("0", "false", "no")
    try:
        after = wf.decide_leave(
            actor=op.username, leave_id=leave_id, stage=stage, approve=yes, why=why
        )
    except WorkflowError as exc:  # e.g. rule ATT-7: no substitute on post yet
        return _problem(request, op, str(exc), 409)
    audit(
        request.app.state.engine,
        actor=op.username,
        action="leave.approve" if yes else "leave.refuse",
        entity="leave",
        entity_id=leave_id,
        why=why,
        before={"status": before["status"]},
        after={"status": after["status"], "stage": stage},
    )
    params: dict[str, Any] = {k: v for k, v in (("day", day), ("month", month)) if v}
    return redirect_with("/attendance", **params)


def _local_time(text: str, zone: str) -> datetime:
    """A 'YYYY-MM-DDTHH:MM' form value in the hall's zone, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def _problem(request: Request, op: Operator, message: str, status: int) -> Response:
    """The error page for a refusal: `message` is a catalogue key or another area's words."""
    from hub.api.errors import ErrorInfo
    from hub.dashboard.errors import error_page

    del op  # the page finds the operator itself
    return error_page(request, ErrorInfo(status=status, detail=message))


@router.post("/attendance/leaves", response_model=None)
def request_leave(
    request: Request,
    op: PageOp,
    dash: DashDep,
    staff_id: Annotated[str, Form(min_length=1, max_length=64)],
    kind: Annotated[str, Form(max_length=32)],
    start: Annotated[str, Form(max_length=32)],
    end: Annotated[str, Form(max_length=32)],
    reason: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """File a leave request for a staff member (rule ATT-5; audited), pending approval."""
    from hub.attendance.desk import WorkflowError

    check_csrf(request, csrf_token)
    wf = _attendance(dash).workflow
    if op.role not in DEPARTMENT_ROLES:
        raise HTTPException(403, "forbidden.file_leave")
    zone = dash.hall(None).timezone
    try:
        first, last = _local_time(start, zone), _local_time(end, zone)
    except ValueError:
        return _problem(request, op, "att.form_bad_times", 422)
    try:
        leave_id = wf.request_leave(
            actor=op.username, staff_id=staff_id, kind=kind, start=first, end=last, reason=reason
        )
    except WorkflowError as exc:
        return _problem(request, op, str(exc), 409)
    audit(
        request.app.state.engine,
        actor=op.username,
        action="leave.request",
        entity="leave",
        entity_id=leave_id,
        why=reason,
        after={"staff_id": staff_id, "kind": kind, "start": start, "end": end},
    )
    return redirect_with("/attendance", day=first.date())


@router.post("/attendance/corrections", response_model=None)
def add_correction(
    request: Request,
    op: PageOp,
    dash: DashDep,
    staff_id: Annotated[str, Form(min_length=1, max_length=64)],
    at: Annotated[str, Form(max_length=32)],
    reason: Annotated[str, Form(max_length=500)],
    checkpoint: Annotated[str, Form(max_length=32)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Enter an approved correction (补卡, rule ATT-6) with the operator as approver (audited)."""
    from hub.attendance.desk import WorkflowError

    check_csrf(request, csrf_token)
    wf = _attendance(dash).workflow
    if op.role not in OFFICE_ROLES:
        raise HTTPException(403, "forbidden.corrections")
    try:
        when = _local_time(at, dash.hall(None).timezone)
    except ValueError:
        return _problem(request, op, "att.form_bad_time", 422)
    try:
        fix_id = wf.add_correction(
            actor=op.username,
            staff_id=staff_id,
            at=when,
            reason=reason,
            approver=op.username,
            checkpoint=checkpoint or None,
        )
    except WorkflowError as exc:
        return _problem(request, op, str(exc), 409)
    audit(
        request.app.state.engine,
        actor=op.username,
        action="correction.add",
        entity="correction",
        entity_id=fix_id,
        why=reason,
        after={"staff_id": staff_id, "at": at, "checkpoint": checkpoint or None},
    )
    return redirect_with("/attendance", day=when.date())


@router.get("/compliance", response_class=HTMLResponse)
def compliance_page(
    request: Request, op: PageOp, dash: DashDep, day: str | None = None, hall: str | None = None
) -> HTMLResponse:
    """On-post violations of the week up to a day (rules POST-1..POST-6), with a chart by rule."""
    h = dash.hall(hall)
    last = views.parse_day(day, views.local_day(dash.clock(), h))
    first = views.week_before(last)
    rows = views.violations(request.app.state.engine, h, first, last)
    by_rule: dict[str, int] = {}
    for r in rows:
        by_rule[r["rule"]] = by_rule.get(r["rule"], 0) + 1
    t = translator(lang_of(request))
    chart = bar_chart(sorted((k, float(v)) for k, v in by_rule.items()), title=t("rule"))
    return render(
        request,
        "compliance.html",
        op,
        {"rows": rows, "first": first, "last": last, "chart": chart, "zone": h.timezone},
    )


@router.get("/ratings", response_class=HTMLResponse)
def ratings_page(
    request: Request, op: PageOp, dash: DashDep, day: str | None = None
) -> HTMLResponse:
    """Ratings by staff member (RATE-4) and the follow-ups of dissatisfied ratings (RATE-3)."""
    if not dash.ratings:
        raise HTTPException(404, "error.no_ratings")
    import sqlalchemy as sa

    from hub.ratings import reports
    from hub.ratings.tables import FollowupRow

    h = dash.hall(None)
    last = views.parse_day(day, views.local_day(dash.clock(), h))
    first = last.replace(day=1)
    engine = request.app.state.engine
    stats = reports.stats(engine, h.id, first, last, "staff")
    table = FollowupRow.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        followups = [
            dict(r._mapping)
            for r in conn.execute(
                sa.select(table).where(table.c.hall == h.id).order_by(table.c.id.desc()).limit(100)
            )
        ]
    t = translator(lang_of(request))
    chart = bar_chart(
        [(str(s.get("key", "")), float(s.get("index") or 0)) for s in stats][:20],
        title=t("satisfied"),
    )
    return render(
        request,
        "ratings.html",
        op,
        {"stats": stats, "followups": followups, "first": first, "last": last, "chart": chart},
    )
