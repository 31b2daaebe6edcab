"""The dashboard's complaint pages (DUTY-6): take a complaint (in person, phone, message, box),
the list and the call-backs (DEV-4), one complaint with its steps, and the QR poster link."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from hub.complaints import callbacks, store
from hub.complaints.api import TakeComplaint, new_complaint
from hub.complaints.rules import (
    CALLBACK_RESULTS,
    FINDINGS,
    OPERATOR_CHANNELS,
    TOLD_HOW,
    ComplaintInputError,
)
from hub.contact_key import ContactKeyError
from hub.dashboard.i18n import translator
from hub.dashboard.web import lang_of, page_operator, render
from hub.dashboard.words import complaint_log_entry
from hub.problems import NotFoundProblem, Problem
from hub.staff.tables import Staff
from hub.users.accounts import Operator, Role, audit
from hub.users.security import check_csrf
from models.contact import ContactError
from models.layout import Hall

router = APIRouter(include_in_schema=False)
PageOp = Annotated[Operator, Depends(page_operator)]
TAKERS = (Role.ADMIN, Role.SUPERVISOR, Role.DUTY_CHIEF, Role.WINDOW_LEAD)
"""Who takes complaints down and calls back (all but a viewer)."""
HANDLERS = (Role.ADMIN, Role.SUPERVISOR, Role.DUTY_CHIEF)
"""Who assigns, investigates, answers and closes (DUTY-6)."""


def _hall(request: Request) -> Hall:
    halls = request.app.state.halls
    if not halls:
        raise NotFoundProblem("error.no_hall")
    return halls[0]


def _page(
    request: Request, op: Operator, hall: Hall, extra: dict[str, Any], status: int = 200
) -> HTMLResponse:
    engine = request.app.state.engine
    return render(
        request,
        "complaints.html",
        op,
        {
            "complaints": store.listing(engine, hall.id),
            "callbacks": callbacks.callbacks(engine, hall.id),
            "channels": OPERATOR_CHANNELS,
            "results": CALLBACK_RESULTS,
            "windows": hall.windows,
            "hall": hall,
            "zone": hall.timezone,
            "can_take": op.role in TAKERS,
            "error": None,
            "revealed": None,
            **extra,
        },
        status,
    )


@router.get("/complaints", response_class=HTMLResponse)
def complaints_page(request: Request, op: PageOp) -> HTMLResponse:
    """Complaints and call-backs of the hall."""
    return _page(request, op, _hall(request), {})


def _worded(request: Request, exc: Problem | ContactError | ContactKeyError) -> str:
    t = translator(lang_of(request))
    if isinstance(exc, Problem):
        values = dict(exc.values)
        if exc.key == "complaint.err_not_now":  # its state and step by their names
            values.update(
                state=t(f"complaint.state.{values.get('state')}"),
                action=t(f"complaint.do.{values.get('action')}"),
            )
        return t(exc.key, **values)
    return t("pub.err_no_key") if isinstance(exc, ContactKeyError) else t("pub.err_phone")


@router.post("/complaints", response_class=HTMLResponse, response_model=None)
def take_complaint(
    request: Request,
    op: PageOp,
    channel: Annotated[str, Form(max_length=16)],
    text: Annotated[str, Form(max_length=2000)],
    subject: Annotated[str, Form(max_length=100)] = "",
    window: Annotated[str, Form(max_length=63)] = "",
    staff_id: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=20)] = "",
    phone: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Take a complaint down (rule DUTY-6); the contact sealed at once (PRIV-1)."""
    from hub.attendance.calendar import WorkCalendar

    check_csrf(request, csrf_token)
    if op.role not in TAKERS:
        raise HTTPException(403, "forbidden")
    hall = _hall(request)
    body = TakeComplaint(
        channel=channel,
        text=text,
        subject=subject,
        window=window or None,
        staff_id=staff_id or None,
        name=name or None,
        phone=phone or None,
    )
    try:
        new = new_complaint(hall, body, request.app.state.clock())
    except (Problem, ContactError) as exc:
        return _page(request, op, hall, {"error": _worded(request, exc)}, 422)
    engine = request.app.state.engine
    taken = store.take(
        engine,
        hall.id,
        new,
        actor=op.username,
        now=request.app.state.clock(),
        tz=ZoneInfo(hall.timezone),
        is_workday=WorkCalendar().is_workday,
    )
    audit(
        engine,
        actor=op.username,
        action="complaint.take",
        entity="complaint",
        entity_id=taken.id,
        after={"ref": taken.ref, "channel": channel},
    )
    return RedirectResponse(f"/complaints/{taken.id}", status_code=303)


def _detail(
    request: Request, op: Operator, complaint_id: int, extra: dict[str, Any], status: int = 200
) -> HTMLResponse:
    hall = _hall(request)
    try:
        c = store.get(request.app.state.engine, complaint_id)
    except KeyError:
        raise HTTPException(404, "error.404") from None
    t = translator(lang_of(request))
    c["log"] = [complaint_log_entry(t, e) for e in c["log"]]  # codes in words
    return render(
        request,
        "complaint.html",
        op,
        {
            "c": c,
            "hall": hall,
            "zone": hall.timezone,
            "findings": FINDINGS,
            "told_how": TOLD_HOW,
            "windows": hall.windows,
            "can_act": op.role in HANDLERS,
            "error": None,
            "revealed": None,
            **extra,
        },
        status,
    )


@router.get("/complaints/{complaint_id}", response_class=HTMLResponse)
def complaint_page(request: Request, op: PageOp, complaint_id: int) -> HTMLResponse:
    """One complaint: what was said, what concerns whom, its deadlines, steps and log."""
    return _detail(request, op, complaint_id, {})


@router.post("/complaints/{complaint_id}/contact", response_class=HTMLResponse)
def complaint_contact(
    request: Request,
    op: PageOp,
    complaint_id: int,
    csrf_token: Annotated[str | None, Form()] = None,
) -> HTMLResponse:
    """Open the complainant's contact to answer them (logged and audited, PRIV-1)."""
    check_csrf(request, csrf_token)
    if op.role not in HANDLERS:
        raise HTTPException(403, "forbidden")
    engine, now = request.app.state.engine, request.app.state.clock()
    try:
        shown = store.reveal(engine, complaint_id, op.username, now)
    except KeyError:
        raise HTTPException(404, "error.404") from None
    except (Problem, ContactKeyError, ContactError) as exc:
        return _detail(request, op, complaint_id, {"error": _worded(request, exc)}, 409)
    audit(
        engine,
        actor=op.username,
        action="complaint.contact",
        entity="complaint",
        entity_id=complaint_id,
    )
    return _detail(request, op, complaint_id, {"revealed": shown})


def _concerned(request: Request, window: str | None, staff_id: str | None) -> None:
    """Refuse a window the hall does not have or a staff member nobody knows (a typed id)."""
    if window and window not in {w.id for w in _hall(request).windows}:
        raise ComplaintInputError("pub.err_window")
    if staff_id:
        with Session(request.app.state.engine) as session:
            if session.get(Staff, staff_id) is None:
                raise ComplaintInputError("att.err.unknown_staff", staff_id=staff_id)


@router.post(
    "/complaints/{complaint_id}/{action}", response_class=HTMLResponse, response_model=None
)
def complaint_step(
    request: Request,
    op: PageOp,
    complaint_id: int,
    action: str,
    note: Annotated[str, Form(max_length=2000)] = "",
    assignee: Annotated[str, Form(max_length=64)] = "",
    finding: Annotated[str, Form(max_length=16)] = "",
    told_how: Annotated[str, Form(max_length=16)] = "",
    window: Annotated[str | None, Form(max_length=63)] = None,
    staff_id: Annotated[str | None, Form(max_length=64)] = None,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """A step of the complaint as the logged-in operator (audited)."""
    check_csrf(request, csrf_token)
    if op.role not in HANDLERS:
        raise HTTPException(403, "forbidden")
    engine = request.app.state.engine
    try:
        _concerned(request, window, staff_id)  # rule DUTY-6: a window and staff that exist
        store.act(
            engine,
            complaint_id,
            action,
            op.username,
            request.app.state.clock(),
            note=note,
            assignee=assignee or None,
            finding=finding or None,
            told_how=told_how or None,
            window=window,
            staff_id=staff_id,
        )
    except KeyError:
        raise HTTPException(404, "error.404") from None
    except Problem as exc:
        return _detail(request, op, complaint_id, {"error": _worded(request, exc)}, exc.status)
    audit(
        engine,
        actor=op.username,
        action=f"complaint.{action}",
        entity="complaint",
        entity_id=complaint_id,
        why=note[:500],
    )
    return RedirectResponse(f"/complaints/{complaint_id}", status_code=303)


@router.post("/callbacks/{callback_id}/number", response_class=HTMLResponse)
def callback_number(
    request: Request, op: PageOp, callback_id: int, csrf_token: Annotated[str | None, Form()] = None
) -> HTMLResponse:
    """Open a call-back's number to make the call (audited, PRIV-1)."""
    check_csrf(request, csrf_token)
    if op.role not in TAKERS:
        raise HTTPException(403, "forbidden")
    hall, engine = _hall(request), request.app.state.engine
    try:
        phone = callbacks.reveal_callback(engine, callback_id)
    except (Problem, ContactKeyError, ContactError) as exc:
        return _page(request, op, hall, {"error": _worded(request, exc)}, 409)
    audit(
        engine,
        actor=op.username,
        action="callback.number",
        entity="callback",
        entity_id=callback_id,
    )
    return _page(request, op, hall, {"revealed": (callback_id, phone)})


@router.post("/callbacks/{callback_id}", response_class=HTMLResponse, response_model=None)
def callback_made(
    request: Request,
    op: PageOp,
    callback_id: int,
    result: Annotated[str, Form(max_length=16)],
    outcome: Annotated[str, Form(max_length=500)] = "",
    done: Annotated[str, Form(max_length=5)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Record a call-back (rule DEV-4); reached or done ends it and erases the number."""
    check_csrf(request, csrf_token)
    if op.role not in TAKERS:
        raise HTTPException(403, "forbidden")
    engine = request.app.state.engine
    try:
        callbacks.callback_step(
            engine,
            callback_id,
            op.username,
            request.app.state.clock(),
            result=result,
            outcome=outcome,
            done=bool(done),
        )
    except KeyError:
        raise HTTPException(404, "error.404") from None
    except Problem as exc:
        return _page(request, op, _hall(request), {"error": _worded(request, exc)}, exc.status)
    audit(
        engine,
        actor=op.username,
        action="callback.call",
        entity="callback",
        entity_id=callback_id,
        after={"result": result},
    )
    return RedirectResponse("/complaints", status_code=303)
