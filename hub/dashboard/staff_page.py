"""The staff page (point 18.3): the hall's staff with their face templates; add a staff member,
enroll a face by photo upload (the quality checks said in words), and leave the hall, which
erases the person's templates here and on every terminal (rule PRIV-1, the staff area's erasure)."""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, func, select

from hub.dashboard.routes import DashDep, PageOp
from hub.dashboard.views import local_day
from hub.dashboard.web import render
from hub.db import session_scope
from hub.staff import leaving
from hub.staff.api import photo_bytes
from hub.staff.enroll import EnrollmentRefused, enroll, hall_of
from hub.staff.tables import FaceTemplate, Staff
from hub.users.accounts import Role, audit
from hub.users.security import check_csrf

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
EDITORS = (Role.ADMIN, Role.SUPERVISOR)
StaffId = Annotated[str, Form(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


def _editor(request: Request, op: Any, csrf_token: str | None) -> None:
    check_csrf(request, csrf_token)
    if op.role not in EDITORS:
        raise HTTPException(403, "forbidden.staff")


def _sync(request: Request) -> Any:
    sync = getattr(request.app.state, "staff_sync", None)
    if sync is None:
        raise HTTPException(404, "error.no_staff")
    return sync


def staff_rows(engine: Any) -> list[dict[str, Any]]:
    """Every staff member with the number of face templates held."""
    with Session(engine) as s:
        count = func.count()
        counts = dict(
            s.exec(select(FaceTemplate.staff_id, count).group_by(FaceTemplate.staff_id)).all()
        )
        members = s.exec(select(Staff).order_by(Staff.staff_id)).all()
        return [{**m.model_dump(), "templates": counts.get(m.staff_id, 0)} for m in members]


@router.get("/staff", response_class=HTMLResponse)
def staff_page(request: Request, op: PageOp, dash: DashDep, done: str = "") -> HTMLResponse:
    """The hall's staff, and the forms to add, enroll and let leave."""
    sync = getattr(request.app.state, "staff_sync", None)
    context = {
        "members": staff_rows(request.app.state.engine),
        "windows": [(w.id, w.called) for h in dash.halls for w in h.windows],
        "can_edit": op.role in EDITORS,
        "can_enroll": sync is not None and sync.master_key is not None,
        "today": local_day(dash.clock(), dash.hall(None)),  # the hall's day, not UTC's
        "done": done[:64],
    }
    return render(request, "staff.html", op, context)


def _done(what: str, staff_id: str) -> RedirectResponse:
    return RedirectResponse(f"/staff?done={what}:{staff_id}", status_code=303)


@router.post("/staff")
def add_staff(
    request: Request,
    op: PageOp,
    dash: DashDep,
    staff_id: StaffId,
    name: Annotated[str, Form(min_length=1, max_length=64)],
    unit: Annotated[str, Form(max_length=128)] = "",
    window: Annotated[str, Form(max_length=63)] = "",
    start_date: Annotated[date | None, Form()] = None,
    csrf_token: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    """Add a staff member (judged from their start date, ATT; audited)."""
    _editor(request, op, csrf_token)
    hall = dash.hall(None)
    if window and window not in {w.id for w in hall.windows}:
        raise HTTPException(422, "staff.unknown_window")
    with session_scope(request.app.state.engine) as s:
        if s.get(Staff, staff_id) is not None:
            raise HTTPException(409, "staff.taken")
        s.add(
            Staff(
                staff_id=staff_id,
                hall=hall.id,
                name=name.strip(),
                unit=unit.strip(),
                window=window or None,
                created_at=dash.clock(),
                start_date=start_date or local_day(dash.clock(), hall),
            )
        )
        audit(
            s,
            actor=op.username,
            action="staff.add",
            entity="staff",
            entity_id=staff_id,
            after={"name": name, "window": window or None, "start_date": str(start_date or "")},
        )
    return _done("add", staff_id)


@router.post("/staff/{staff_id}/enroll", response_model=None)
def enroll_photos(
    request: Request,
    op: PageOp,
    dash: DashDep,
    staff_id: str,
    photos: Annotated[list[UploadFile], File()],
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Enroll a face from photos (quality checked; nothing stored if one fails; PRIV-1)."""
    _editor(request, op, csrf_token)
    sync = _sync(request)
    if sync.master_key is None:
        raise HTTPException(503, "staff.no_face_key")
    with Session(request.app.state.engine) as s:
        member = s.get(Staff, staff_id)
        if member is None:
            raise HTTPException(404, "staff.unknown")
        name, unit, window, hall = member.name, member.unit, member.window, member.hall
    data = photo_bytes(photos)
    old_hall = hall_of(sync.engine, staff_id)
    try:
        result = enroll(
            sync.engine,
            keys=sync.key_store(),
            staff_id=staff_id,
            name=name,
            hall=hall,
            photos=data,
            unit=unit,
            window=window,
        )
    except EnrollmentRefused as exc:
        return render(
            request,
            "staff_refused.html",
            op,
            {"staff_id": staff_id, "problems": exc.problems},
            status=422,
        )
    sync.publish(hall)
    if old_hall is not None and old_hall != hall:
        sync.moved(staff_id, old_hall)  # rule PRIV-1
    audit(
        request.app.state.engine,
        actor=op.username,
        action="staff.enroll",
        entity="staff",
        entity_id=staff_id,
        after={"templates": result.templates},
    )
    return _done("enroll", staff_id)


@router.post("/staff/{staff_id}/leave")
def leave_hall(
    request: Request,
    op: PageOp,
    dash: DashDep,
    staff_id: str,
    leave_date: Annotated[date | None, Form()] = None,
    why: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    """The staff member leaves the hall: not judged after their last day, and their face
    templates erased here and on every terminal (rule PRIV-1; audited)."""
    _editor(request, op, csrf_token)
    # the staff area's leaving: the last day kept (refused when left already, still to come or
    # before the first day), templates erased on the hub, its key and every terminal
    removed = leaving.leave_hall(_sync(request), staff_id, leave_date)
    last = removed.left_on
    erased = {"templates": removed.templates_erased, "terminals": list(removed.terminals)}
    audit(
        request.app.state.engine,
        actor=op.username,
        action="staff.leave",
        entity="staff",
        entity_id=staff_id,
        why=why,
        after={"leave_date": str(last), **erased},
    )
    return _done("leave", staff_id)
