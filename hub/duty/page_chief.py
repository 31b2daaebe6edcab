"""The duty chief's and the office's forms of the duty chief and visits pages: the log, the
rotation and stand-ins (DUTY-2), leaders sitting in (DUTY-3) and inspections (DUTY-4); each
checks the CSRF token and the role, changes through the functions the API uses, and returns to
its page or shows every reason in the reader's language (hub.duty.page_forms.run_change)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from hub.dashboard.routes import redirect_with
from hub.duty.api_common import CHIEF_ROLES
from hub.duty.chief_store import add_log, add_stand_in, set_rotation
from hub.duty.hallctx import load_duty_policy
from hub.duty.page_forms import Csrf, allow_role, run_change
from hub.duty.pages import OFFICE_ROLES, HallPage, PageOp
from hub.duty.visits import record_inspection, record_sitting, register_sitting
from hub.users.security import check_csrf

router = APIRouter(include_in_schema=False)


@router.post("/duty/log")
def log_entry(
    request: Request,
    op: PageOp,
    hd: HallPage,
    text: Annotated[str, Form(min_length=1, max_length=4000)],
    kind: Annotated[str, Form(max_length=16)] = "note",
    staff_id: Annotated[str, Form(max_length=64)] = "",
    window: Annotated[str, Form(max_length=63)] = "",
    points: Annotated[float, Form(ge=-100, le=100)] = 0,
    csrf_token: Csrf = None,
) -> Response:
    """Write in the duty chief's log (handover at the end of a term, points)."""
    check_csrf(request, csrf_token)
    allow_role(op, CHIEF_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()
    today = hd.local_day(now)

    def work() -> None:
        with engine.begin() as conn:
            add_log(
                conn,
                hd,
                day=today,
                author=op.username,
                kind=kind,
                text=text,
                now=now,
                today=today,
                staff_id=staff_id or None,
                window=window or None,
                points=points,
            )

    return run_change(request, op, "/duty/chief", work, redirect_with("/duty/chief"))


@router.post("/duty/rotation")
def rotation(
    request: Request,
    op: PageOp,
    hd: HallPage,
    anchor: Annotated[date, Form()],
    order: Annotated[str, Form(max_length=2000)],
    why: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Csrf = None,
) -> Response:
    """Set the centre's order of duty chiefs (rule DUTY-2)."""
    check_csrf(request, csrf_token)
    allow_role(op, OFFICE_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()
    people = [p for p in order.replace("，", ",").replace(" ", ",").split(",") if p]

    def work() -> None:
        with engine.begin() as conn:
            days = load_duty_policy(conn, hd.id).rotation.term_days
            set_rotation(
                conn,
                hd.id,
                anchor=anchor,
                order=people,
                term_days=days,
                actor=op.username,
                now=now,
                why=why,
            )

    return run_change(request, op, "/duty/chief", work, redirect_with("/duty/chief"))


@router.post("/duty/standins")
def standin(
    request: Request,
    op: PageOp,
    hd: HallPage,
    chief: Annotated[str, Form(max_length=64)],
    staff_id: Annotated[str, Form(max_length=64)],
    start: Annotated[date, Form()],
    end: Annotated[date, Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Csrf = None,
) -> Response:
    """A stand-in for the duty chief's leave, approved by the head duty chief (DUTY-2)."""
    check_csrf(request, csrf_token)
    allow_role(op, OFFICE_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()

    def work() -> None:
        with engine.begin() as conn:
            add_stand_in(
                conn,
                hd.id,
                chief=chief,
                staff_id=staff_id,
                start=start,
                end=end,
                approved_by=op.username,
                reason=reason,
                now=now,
            )

    return run_change(request, op, "/duty/chief", work, redirect_with("/duty/chief"))


@router.post("/duty/sittings")
def sitting(
    request: Request,
    op: PageOp,
    hd: HallPage,
    leader: Annotated[str, Form(min_length=1, max_length=64)],
    window: Annotated[str, Form(max_length=63)],
    day: Annotated[date, Form()],
    unit: Annotated[str, Form(max_length=128)] = "",
    leader_staff_id: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Csrf = None,
) -> Response:
    """Register a leader's sitting (DUTY-3)."""
    check_csrf(request, csrf_token)
    allow_role(op, CHIEF_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()

    def work() -> None:
        with engine.begin() as conn:
            register_sitting(
                conn,
                hd,
                leader=leader,
                leader_staff_id=leader_staff_id or None,
                unit=unit,
                window=window,
                day=day,
                actor=op.username,
                now=now,
                policy=load_duty_policy(conn, hd.id),
            )

    return run_change(request, op, "/duty/visits", work, redirect_with("/duty/visits"))


@router.post("/duty/sittings/{sitting_id}/sat")
def sat(
    request: Request, sitting_id: int, op: PageOp, hd: HallPage, csrf_token: Csrf = None
) -> Response:
    """Record that a registered sitting took place."""
    check_csrf(request, csrf_token)
    allow_role(op, CHIEF_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()

    def work() -> None:
        with engine.begin() as conn:
            record_sitting(conn, hd, sitting_id, actor=op.username, now=now, note="")

    return run_change(request, op, "/duty/visits", work, redirect_with("/duty/visits"))


@router.post("/duty/inspections")
def inspection(
    request: Request,
    op: PageOp,
    hd: HallPage,
    window: Annotated[str, Form(max_length=63)],
    inspector: Annotated[str, Form(min_length=1, max_length=64)],
    kind: Annotated[str, Form(max_length=16)] = "spot",
    problem: Annotated[str, Form()] = "",
    findings: Annotated[str, Form(max_length=4000)] = "",
    staff_id: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Csrf = None,
) -> Response:
    """Record an inspection and what it found (DUTY-4)."""
    check_csrf(request, csrf_token)
    allow_role(op, CHIEF_ROLES)
    engine, now = request.app.state.engine, request.app.state.clock()

    def work() -> None:
        with engine.begin() as conn:
            record_inspection(
                conn,
                hd,
                at=now,
                kind=kind,
                inspector=inspector,
                window=window,
                staff_id=staff_id or None,
                problem=bool(problem),
                findings=findings,
                actor=op.username,
                now=now,
            )

    return run_change(request, op, "/duty/visits", work, redirect_with("/duty/visits"))
