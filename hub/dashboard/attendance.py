"""The dashboard's attendance pages: the day and the month to date, leave and corrections.

Statuses in the hall's words (迟到, 早退, 脱岗, 缺卡, 旷工, 未到, 请假, 已补卡); each staff member's
day explains its verdicts; leave is filed, approved in two stages by two accounts and revoked;
corrections are filed, reviewed by another account and revoked. A refusal is shown beside its
field (or above the form), in the operator's language, never as raw JSON (rules ATT-5..ATT-9).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from hub.attendance.api import RowId
from hub.attendance.calendar import CalendarError
from hub.dashboard import views
from hub.dashboard.charts import bar_chart
from hub.dashboard.i18n import translator
from hub.dashboard.routes import DashDep, PageOp, redirect_with
from hub.dashboard.web import lang_of, render
from hub.users.accounts import Operator, audit
from hub.users.security import check_csrf

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

STATUSES = ("ok", "late", "early", "absent_from_post", "missing", "absent", "not_due", "leave")
COLORS = ("#2a9d6f", "#d9822b", "#e0b000", "#a2431a", "#7a4fb5", "#c23030", "#9aa3ad", "#2f6fb2")
FIELDS = Annotated[str, Form(max_length=32)]


def next_stage(status: str) -> str | None:
    """Which approval a leave waits for (rule ATT-5: department head first, then the office)."""
    return {"pending": "department", "dept_approved": "office"}.get(status)


def _ctx(dash: Any) -> Any:
    """The hub's attendance area (`AttendanceContext`); 404 when this hub runs without it."""
    if dash.attendance is None:
        raise HTTPException(404, "error.404")
    return dash.attendance


def words(request: Request, exc: Any) -> str:
    """A refusal in the operator's language."""
    t = translator(lang_of(request))
    text = t(exc.key) if exc.key else str(exc)
    try:
        return text.format_map(exc.values)
    except (KeyError, IndexError, ValueError):
        return text


def _may(role: str, allowed: frozenset[str]) -> bool:
    return role in allowed


def _page(
    request: Request,
    op: Operator,
    dash: Any,
    day: str | None = None,
    month: str | None = None,
    hall: str | None = None,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    """The attendance page; `errors` are refusals beside their fields, `notice` above."""
    from hub.attendance.checks import DEPARTMENT_ROLES, OFFICE_ROLES
    from hub.attendance.facts import LeaveKind
    from hub.attendance.reports import day_list, month_report

    ctx = _ctx(dash)
    wf = ctx.workflow
    h = dash.hall(hall)  # rule ATT-8: one hall's staff and windows, by its own policy
    now = wf.now()
    the_day = views.parse_day(day, views.local_day(now, h))
    the_month = month if month and len(month) == 7 else views.month_of(the_day)
    try:
        people = day_list(wf.engine, ctx.projector, the_day, now, wf.seats, h.id)
        report = month_report(wf.engine, ctx.projector, the_month, now, wf.seats, h.id)
    except CalendarError:
        raise  # worded by the error page: which year, and where to enter it
    except ValueError:
        raise HTTPException(422, "att.err.bad_day") from None
    t = translator(lang_of(request))
    counts = {s: 0 for s in STATUSES}
    for person in people:
        for cp in person["checkpoints"]:
            counts[cp["status"]] = counts.get(cp["status"], 0) + 1
    chart = bar_chart(
        [(t(f"att.status.{s}"), float(n)) for s, n in counts.items()],
        title=t("statuses"),
        colors=COLORS,
    )
    role = op.role.value
    me = {op.username, op.staff_id} - {None}  # the account, and the staff member it belongs to
    leaves = wf.list_leaves()[:60]
    for lv in leaves:
        lv["stage"] = next_stage(lv["status"])
        allowed = DEPARTMENT_ROLES if lv["stage"] == "department" else OFFICE_ROLES
        lv["can_decide"] = (
            lv["stage"] is not None
            and _may(role, allowed)
            and lv["staff_id"] not in me  # rule ATT-5: not one's own
            and not (lv["stage"] == "office" and lv["dept_by"] in me)
        )
        lv["can_revoke"] = _may(role, OFFICE_ROLES) and lv["status"] not in ("revoked", "refused")
    fixes = wf.list_corrections()[:60]
    for fx in fixes:
        fx["can_review"] = (
            fx["status"] == "pending"
            and _may(role, OFFICE_ROLES)
            and not me & {fx["staff_id"], fx["entered_by"]}  # rule ATT-6
        )
        fx["can_revoke"] = _may(role, OFFICE_ROLES) and fx["status"] in ("pending", "approved")
    return render(
        request,
        "attendance.html",
        op,
        {
            "day": the_day,
            "month": the_month,
            "people": people,
            "staff_choices": _staff_choices(report, people, wf.engine),
            "report": report,
            "chart": chart,
            "leaves": leaves,
            "fixes": fixes,
            "zone": h.timezone,
            "kinds": [k.value for k in LeaveKind],
            "checkpoints": ctx.projector.judge_of(h.id).policy.checkpoint_names(),
            "hall": h.id,
            "halls": [(x.id, x.name) for x in dash.halls],
            "can_request": _may(role, DEPARTMENT_ROLES),
            "can_correct": _may(role, DEPARTMENT_ROLES),
            "errors": errors or {},
            "form": form or {},
            "notice": notice,
            "lang": lang_of(request),
        },
        status=status,
    )


def _staff_choices(report: Any, people: list[dict[str, Any]], engine: Any) -> list[tuple[str, str]]:
    """(staff id, name) of every staff member: on the page, and those without a seat (a spare,
    a newcomer), whose leave and 补卡 are filed here too."""
    from sqlmodel import Session

    with Session(engine) as s:
        seen = views.staff_names(s)
    seen.update({p["staff_id"]: p["name"] for p in people})
    seen.update({r.key: r.name for r in report.staff})
    return sorted(seen.items())


@router.get("/attendance", response_class=HTMLResponse)
def attendance_page(
    request: Request,
    op: PageOp,
    dash: DashDep,
    day: str | None = None,
    month: str | None = None,
    hall: str | None = None,
) -> HTMLResponse:
    """Attendance of a hall (?hall=, default the first): the day's checkpoints, the month to
    date, leave and corrections, exports."""
    return _page(request, op, dash, day, month, hall)


@router.get("/attendance/day/{staff_id}/{day}", response_class=HTMLResponse)
def staff_day_page(
    request: Request, staff_id: str, day: date, op: PageOp, dash: DashDep
) -> HTMLResponse:
    """One staff member's day: why each checkpoint got its verdict (issue 15, point 4)."""
    from hub.attendance.reports import explain_staff_day

    ctx = _ctx(dash)
    wf = ctx.workflow
    try:
        found = explain_staff_day(wf.engine, ctx.projector, staff_id, day, wf.now())
    except CalendarError:
        raise
    except ValueError:
        raise HTTPException(422, "att.err.bad_day") from None
    if found is None:
        raise HTTPException(404, "att.err.not_judged")
    return render(
        request, "attendance_day.html", op, {"why": found, "zone": dash.hall(None).timezone}
    )


def _local_time(text: str, zone: str) -> datetime:
    """A 'YYYY-MM-DDTHH:MM' form value in the hall's zone, as an aware datetime.

    A value that carries its own offset (a script posting UTC) keeps it, never re-read as local.
    """
    found = datetime.fromisoformat(text)
    return found if found.tzinfo is not None else found.replace(tzinfo=ZoneInfo(zone))


def _refused(
    request: Request, op: Operator, dash: Any, exc: Any, form: dict[str, str], prefix: str = ""
) -> HTMLResponse:
    """The page again with the refusal beside its form's field (`prefix`), else above all."""
    text = words(request, exc)
    errors = {f"{prefix}{exc.field}": text} if exc.field and prefix else {}
    notice = "" if errors else text
    return _page(
        request,
        op,
        dash,
        form.get("day"),
        None,
        errors=errors,
        form=form,
        notice=notice,
        status=exc.status,
    )


@router.post("/attendance/leaves", response_model=None)
def request_leave(
    request: Request,
    op: PageOp,
    dash: DashDep,
    staff_id: Annotated[str, Form(min_length=1, max_length=64)],
    kind: FIELDS,
    start: FIELDS,
    end: FIELDS,
    reason: Annotated[str, Form(max_length=500)] = "",
    certificate: Annotated[str, Form(max_length=128)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """File a leave request for a staff member (rule ATT-5; audited), pending approval."""
    from hub.attendance.checks import DEPARTMENT_ROLES, FieldError, WorkflowError

    check_csrf(request, csrf_token)
    wf = _ctx(dash).workflow
    if op.role.value not in DEPARTMENT_ROLES:
        raise HTTPException(403, "forbidden")
    form = {"staff_id": staff_id, "kind": kind, "start": start, "end": end, "reason": reason}
    form["certificate"] = certificate
    zone = dash.hall(None).timezone
    try:
        try:
            first, last = _local_time(start, zone), _local_time(end, zone)
        except ValueError:
            raise FieldError("not a time", key="att.err.naive", field="start") from None
        leave_id = wf.request_leave(
            actor=op.username,
            staff_id=staff_id,
            kind=kind,
            start=first,
            end=last,
            reason=reason,
            certificate=certificate,
        )
    except WorkflowError as exc:
        return _refused(request, op, dash, exc, form, "leave-")
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


@router.post("/attendance/leaves/{leave_id}/decide", response_model=None)
def decide_leave(
    request: Request,
    leave_id: RowId,
    op: PageOp,
    dash: DashDep,
    approve: Annotated[str, Form()] = "1",
    why: Annotated[str, Form(max_length=500)] = "",
    day: Annotated[str, Form()] = "",
    month: Annotated[str, Form()] = "",
    stage: Annotated[str, Form(max_length=16)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Approve or refuse a leave at its next stage, as the logged-in operator (audited); the
    stage the page showed, when it says one: a click on a page left open while a colleague
    decided that stage does not decide the next one (ATT-5)."""
    from hub.attendance.checks import NotFound, WorkflowError

    check_csrf(request, csrf_token)
    wf = _ctx(dash).workflow
    try:
        before = wf.get_leave(leave_id)
    except NotFound:
        raise HTTPException(404, "error.404") from None
    next_one = next_stage(before["status"])
    if next_one is None or (stage and stage != next_one):
        raise HTTPException(409, "att.err.leave_decided")  # a second operator was first
    yes = approve not in ("0", "false", "no")
    try:
        after = wf.decide_leave(
            actor=op.username,
            leave_id=leave_id,
            stage=next_one,
            approve=yes,
            why=why,
            role=op.role.value,
        )
    except WorkflowError as exc:  # own leave, one account twice, wrong role, ATT-7, ...
        return _refused(request, op, dash, exc, {"day": day})
    audit(
        request.app.state.engine,
        actor=op.username,
        action="leave.approve" if yes else "leave.refuse",
        entity="leave",
        entity_id=leave_id,
        why=why,
        before={"status": before["status"]},
        after={"status": after["status"], "stage": next_one},
    )
    params: dict[str, Any] = {k: v for k, v in (("day", day), ("month", month)) if v}
    return redirect_with("/attendance", **params)


@router.post("/attendance/{what}/{item_id}/revoke", response_model=None)
def revoke(
    request: Request,
    what: str,
    item_id: RowId,
    op: PageOp,
    dash: DashDep,
    why: Annotated[str, Form(max_length=500)] = "",
    day: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Revoke a leave or a correction (the supervision office; a reason is required)."""
    from hub.attendance.checks import OFFICE_ROLES, NotFound, WorkflowError

    check_csrf(request, csrf_token)
    if what not in ("leaves", "corrections"):
        raise HTTPException(404, "error.404")
    if op.role.value not in OFFICE_ROLES:
        raise HTTPException(403, "forbidden.revoke")
    wf = _ctx(dash).workflow
    try:
        if what == "leaves":
            after = wf.revoke_leave(actor=op.username, leave_id=item_id, why=why)
        else:
            after = wf.revoke_correction(actor=op.username, correction_id=item_id, why=why)
    except NotFound:
        raise HTTPException(404, "error.404") from None
    except WorkflowError as exc:
        return _refused(request, op, dash, exc, {"day": day})
    entity = "leave" if what == "leaves" else "correction"
    audit(
        request.app.state.engine,
        actor=op.username,
        action=f"{entity}.revoke",
        entity=entity,
        entity_id=item_id,
        why=why,
        after={"status": after["status"]},
    )
    return redirect_with("/attendance", **({"day": day} if day else {}))


@router.post("/attendance/corrections", response_model=None)
def file_correction(
    request: Request,
    op: PageOp,
    dash: DashDep,
    staff_id: Annotated[str, Form(min_length=1, max_length=64)],
    at: FIELDS,
    reason: Annotated[str, Form(max_length=500)] = "",
    checkpoint: FIELDS = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """File a correction (补卡, rule ATT-6) for review by the supervision office (audited)."""
    from hub.attendance.checks import DEPARTMENT_ROLES, FieldError, WorkflowError

    check_csrf(request, csrf_token)
    wf = _ctx(dash).workflow
    if op.role.value not in DEPARTMENT_ROLES:
        raise HTTPException(403, "forbidden")
    form = {"staff_id": staff_id, "at": at, "reason": reason, "checkpoint": checkpoint}
    try:
        try:
            when = _local_time(at, dash.hall(None).timezone)
        except ValueError:
            raise FieldError("not a time", key="att.err.naive", field="at") from None
        fix_id = wf.file_correction(
            actor=op.username, staff_id=staff_id, at=when, reason=reason, checkpoint=checkpoint
        )
    except WorkflowError as exc:
        return _refused(request, op, dash, exc, form, "fix-")
    audit(
        request.app.state.engine,
        actor=op.username,
        action="correction.file",
        entity="correction",
        entity_id=fix_id,
        why=reason,
        after={"staff_id": staff_id, "at": at, "checkpoint": checkpoint},
    )
    return redirect_with("/attendance", day=when.date())


@router.post("/attendance/corrections/{correction_id}/review", response_model=None)
def review_correction(
    request: Request,
    correction_id: RowId,
    op: PageOp,
    dash: DashDep,
    approve: Annotated[str, Form()] = "1",
    why: Annotated[str, Form(max_length=500)] = "",
    day: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Approve or refuse a filed correction (the office; never its filer or its person)."""
    from hub.attendance.checks import NotFound, WorkflowError

    check_csrf(request, csrf_token)
    wf = _ctx(dash).workflow
    yes = approve not in ("0", "false", "no")
    try:
        after = wf.review_correction(
            actor=op.username,
            correction_id=correction_id,
            approve=yes,
            why=why,
            role=op.role.value,
        )
    except NotFound:
        raise HTTPException(404, "error.404") from None
    except WorkflowError as exc:
        return _refused(request, op, dash, exc, {"day": day})
    audit(
        request.app.state.engine,
        actor=op.username,
        action="correction.approve" if yes else "correction.refuse",
        entity="correction",
        entity_id=correction_id,
        why=why,
        after={"status": after["status"]},
    )
    return redirect_with("/attendance", **({"day": day} if day else {}))
