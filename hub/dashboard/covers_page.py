"""Substitutes and covers (point 18.3): who stands in at a window while its staff member is on
leave (替岗, rule ATT-7, the attendance desk's add_substitute) and a temporary leave from a seat
with a colleague covering it (顶岗, rule POST-6, hub.compliance.covers), each filed on a form
that says a refusal beside its field, and a cover approved or refused by the duty desk."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.compliance import covers
from hub.compliance.api_common import get_compliance
from hub.dashboard.attendance import words
from hub.dashboard.routes import CHIEFS, DashDep, PageOp
from hub.dashboard.views import people_names
from hub.dashboard.web import render
from hub.problems import Problem
from hub.users.accounts import Operator, Role, audit
from hub.users.security import check_csrf

router = APIRouter(include_in_schema=False)
FILERS = frozenset({"admin", "supervisor", "duty_chief", "window_lead"})
"""Who files a substitute or asks for a cover (as who files leave, rule ATT-5)."""
Text = Annotated[str, Form(max_length=64)]
Why = Annotated[str, Form(max_length=500)]


def _ctx(dash: Any) -> Any:
    if dash.attendance is None:
        raise HTTPException(404, "error.no_attendance")
    return dash.attendance


def _page(
    request: Request,
    op: Operator,
    dash: Any,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """Both lists and both forms; `errors` beside their fields (`sub-…`, `cover-…`)."""
    from sqlmodel import Session

    wf = _ctx(dash).workflow
    hall = dash.hall(None)
    with Session(request.app.state.engine) as s:
        names = people_names(s, dash.halls)
    staff = sorted((k[6:], v) for k, v in names.items() if k.startswith("staff:"))
    today = dash.clock().astimezone(ZoneInfo(hall.timezone)).date()
    context = {
        "subs": wf.list_substitutes()[:60],
        "covers": covers.list_covers(request.app.state.engine, hall.id, 60),
        "names": names,
        "staff": staff,
        "windows": [(w.id, w.name or w.id) for w in hall.windows],
        "seats": [(seat, w.name or w.id) for w in hall.windows for seat in w.seats],
        "zone": hall.timezone,
        "today": today,
        "can_file": op.role.value in FILERS,
        "can_decide": op.role in CHIEFS,
        "errors": errors or {},
        "form": form or {},
    }
    return render(request, "covers.html", op, context, status=status)


@router.get("/covers", response_class=HTMLResponse)
def covers_page(request: Request, op: PageOp, dash: DashDep) -> HTMLResponse:
    """Substitutes on post and covers of seats, with the forms to file them."""
    return _page(request, op, dash)


def _local(text: str, zone: str, field: str) -> datetime:
    from hub.attendance.checks import FieldError

    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        raise FieldError("not a time", key="form.bad_time", field=field) from None
    return found if found.tzinfo is not None else found.replace(tzinfo=ZoneInfo(zone))


def _filer(request: Request, op: Operator, csrf_token: str | None) -> None:
    check_csrf(request, csrf_token)
    if op.role.value not in FILERS:
        raise HTTPException(403, "forbidden.covers")


@router.post("/covers/substitutes", response_model=None)
def add_substitute(
    request: Request,
    op: PageOp,
    dash: DashDep,
    window: Text,
    staff_id: Text,
    substitute_id: Text,
    start: Text,
    end: Text,
    sent_by_unit: Annotated[str, Form(max_length=8)] = "",
    why: Why = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Record a substitute on post for a staff member (rule ATT-7; audited by the desk)."""
    from hub.attendance.checks import WorkflowError

    _filer(request, op, csrf_token)
    wf = _ctx(dash).workflow
    form = {"window": window, "staff_id": staff_id, "substitute_id": substitute_id}
    form |= {"start": start, "end": end, "why": why, "sent_by_unit": sent_by_unit}
    zone = dash.hall(None).timezone
    try:
        if window not in {w.id for w in dash.hall(None).windows}:
            from hub.attendance.checks import FieldError

            raise FieldError("unknown window", key="staff.unknown_window", field="window")
        first, last = _local(start, zone, "start"), _local(end, zone, "end")
        unit = sent_by_unit == "1"
        wf.add_substitute(
            actor=op.username,
            window=window,
            staff_id=staff_id,
            substitute_id=substitute_id,
            start=first,
            end=last,
            sent_by_unit=unit,
            filed_at=dash.clock() if unit else None,
            why=why,
        )
    except WorkflowError as exc:
        field = f"sub-{exc.field or 'form'}"
        return _page(request, op, dash, errors={field: words(request, exc)}, form=form, status=422)
    return RedirectResponse("/covers?done=substitute", status_code=303)


@router.post("/covers", response_model=None)
def request_cover(
    request: Request,
    op: PageOp,
    dash: DashDep,
    seat: Text,
    start: Text,
    end: Text,
    staff_id: Text = "",
    cover_staff_id: Text = "",
    reason: Why = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Ask for a temporary leave from a seat with a colleague covering it (rule POST-6)."""
    from hub.attendance.checks import WorkflowError

    _filer(request, op, csrf_token)
    hall = dash.hall(None)
    form = {"seat": seat, "start": start, "end": end, "staff_id": staff_id}
    form |= {"cover_staff_id": cover_staff_id, "reason": reason}
    try:
        first, last = _local(start, hall.timezone, "start"), _local(end, hall.timezone, "end")
        row = covers.request_cover(
            request.app.state.engine,
            hall,
            seat=seat,
            start=first,
            end=last,
            now=dash.clock(),
            staff_id=staff_id,
            cover_staff_id=cover_staff_id,
            reason=reason,
        )
    except (WorkflowError, Problem) as exc:
        field = f"cover-{exc.field or 'form'}"
        return _page(request, op, dash, errors={field: words(request, exc)}, form=form, status=422)
    audit(
        request.app.state.engine,
        actor=op.username,
        action="cover.request",
        entity="cover",
        entity_id=row["id"],
        why=reason,
        after={"seat": seat, "start": start, "end": end, "cover_staff_id": cover_staff_id},
    )
    return RedirectResponse("/covers?done=cover", status_code=303)


@router.post("/covers/{cover_id}/decide", response_model=None)
def decide_cover(
    request: Request,
    cover_id: int,
    op: PageOp,
    dash: DashDep,
    approve: Annotated[str, Form(max_length=1)] = "1",
    why: Why = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """The duty desk approves (up to the duty chief's hours, else as the head) or refuses."""
    check_csrf(request, csrf_token)
    if op.role not in CHIEFS:
        raise HTTPException(403, "forbidden.chiefs")
    projector = get_compliance(request)
    yes = approve == "1"
    role = "duty_chief" if op.role is Role.DUTY_CHIEF else "head"
    try:
        after = covers.decide_cover(
            request.app.state.engine,
            dash.hall(None),
            projector,
            cover_id,
            approve=yes,
            now=dash.clock(),
            approved_by=op.username,
            approver_role=role,
        )
    except Problem as exc:
        if exc.status == 404:
            raise
        errors = {f"decide-{cover_id}": words(request, exc)}
        return _page(request, op, dash, errors=errors, status=exc.status)
    audit(
        request.app.state.engine,
        actor=op.username,
        action="cover.approve" if yes else "cover.refuse",
        entity="cover",
        entity_id=cover_id,
        why=why,
        after={"status": after["status"], "approver_role": after["approver_role"]},
    )
    return RedirectResponse("/covers?done=decided", status_code=303)
