"""The dashboard's follow-up pages (RATE-3): one follow-up of a dissatisfied rating with its
deadlines, the citizen's number opened only to call (audited), and each step as a form:
assign, a contact attempt, contacted, verified, rectify (plan and deadline), rectified,
closed (the answer and how it was told), audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.attendance.calendar import CalendarError, WorkCalendar
from hub.contact_key import ContactKeyError
from hub.dashboard.i18n import translator
from hub.dashboard.web import lang_of, local, page_operator, render
from hub.ratings.followup import SYSTEM, act, case_of, followup, reveal_contact, split_noted
from hub.ratings.followup_rules import ATTEMPT_RESULTS, TOLD_HOW, Finding, FollowupError
from hub.users.accounts import Operator, Role, audit
from hub.users.security import check_csrf

router = APIRouter(include_in_schema=False)
PageOp = Annotated[Operator, Depends(page_operator)]
HANDLERS = (Role.ADMIN, Role.SUPERVISOR, Role.DUTY_CHIEF)
"""Who follows up dissatisfied ratings (RATE-3); the audit step is the office's."""


def step_words(t: Callable[..., str], zone: str, f: dict[str, Any], step: dict[str, Any]) -> str:
    """What a logged step says: its details in words, then the operator's note (RATE-3)."""
    details, note = split_noted(step["note"])
    if step["actor"] == SYSTEM and step["action"] == "open":
        key = note if note.startswith("followup.opened") else "followup.opened"
        if "left a number" in note:  # as written before the notes were codes
            key = "followup.opened.number"
        return t(key, level=t(f"level.{f['level']}"))
    parts = []
    for name, value in details.items():
        if name == "assignee":
            parts.append(f"{t('complaint.assignee')} {value}")
        elif name == "due":
            when = local(datetime.fromisoformat(value), zone, "%Y-%m-%d %H:%M")
            parts.append(f"{t('followup.rectify_due')} {when}")
        elif name == "opened":
            parts.append(t("followup.phone_opened"))
        else:  # result, finding, told_how: codes of the follow-up rules
            prefix = {"result": "followup.result.", "finding": "followup.finding."}
            parts.append(t(prefix.get(name, "complaint.told.") + value))
    return "；".join([*parts, note] if note else parts)


def _page(
    request: Request, op: Operator, fid: int, extra: dict[str, Any], status: int = 200
) -> HTMLResponse:
    halls = request.app.state.halls
    try:
        f = followup(request.app.state.engine, fid)
    except KeyError:
        raise HTTPException(404, "error.404") from None
    zone = next((h.timezone for h in halls if h.id == f["hall"]), "Asia/Shanghai")
    return render(
        request,
        "followup.html",
        op,
        {
            "f": f,
            "case_no": case_of(request.app.state.engine, f["rating_id"]),
            "zone": zone,
            "results": ATTEMPT_RESULTS,
            "findings": [x.value for x in Finding],
            "told_how": TOLD_HOW,
            "can_act": op.role in HANDLERS,
            "can_audit": op.role in (Role.ADMIN, Role.SUPERVISOR),
            "error": None,
            "phone": None,
            "steps": [step_words(translator(lang_of(request)), zone, f, e) for e in f["log"]],
            **extra,
        },
        status,
    )


@router.get("/ratings/followups/{followup_id}", response_class=HTMLResponse)
def followup_page(request: Request, op: PageOp, followup_id: int) -> HTMLResponse:
    """One follow-up: the rating, the deadlines, the steps taken and the next ones."""
    return _page(request, op, followup_id, {})


@router.post("/ratings/followups/{followup_id}/contact", response_class=HTMLResponse)
def followup_contact(
    request: Request,
    op: PageOp,
    followup_id: int,
    csrf_token: Annotated[str | None, Form()] = None,
) -> HTMLResponse:
    """Open the citizen's number to call (logged in the follow-up and audited; PRIV-1)."""
    check_csrf(request, csrf_token)
    if op.role not in HANDLERS:
        raise HTTPException(403, "forbidden")
    engine = request.app.state.engine
    t = translator(lang_of(request))
    try:
        phone = reveal_contact(engine, followup_id, op.username, request.app.state.clock())
    except KeyError:
        raise HTTPException(404, "error.404") from None
    except FollowupError as exc:  # no number, or one that does not open as a phone number
        return _page(request, op, followup_id, {"error": t(exc.key)}, 409)
    except ContactKeyError:
        return _page(request, op, followup_id, {"error": t("pub.err_no_key")}, 503)
    audit(
        engine,
        actor=op.username,
        action="followup.contact",
        entity="followup",
        entity_id=followup_id,
    )
    return _page(request, op, followup_id, {"phone": phone})


@router.post(
    "/ratings/followups/{followup_id}/{action}", response_class=HTMLResponse, response_model=None
)
def followup_step(
    request: Request,
    op: PageOp,
    followup_id: int,
    action: str,
    note: Annotated[str, Form(max_length=1000)] = "",
    assignee: Annotated[str, Form(max_length=64)] = "",
    result: Annotated[str, Form(max_length=16)] = "",
    finding: Annotated[str, Form(max_length=16)] = "",
    due: Annotated[str, Form(max_length=10)] = "",
    told_how: Annotated[str, Form(max_length=16)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """A step as the logged-in operator (rule RATE-3; audited)."""
    check_csrf(request, csrf_token)
    allowed = (Role.ADMIN, Role.SUPERVISOR) if action == "audited" else HANDLERS
    if op.role not in allowed:
        raise HTTPException(403, "forbidden")
    engine = request.app.state.engine
    try:
        f = followup(engine, followup_id)
    except KeyError:
        raise HTTPException(404, "error.404") from None
    hall = next((h for h in request.app.state.halls if h.id == f["hall"]), None)
    try:
        asked = date.fromisoformat(due) if due else None
        act(
            engine,
            followup_id,
            action,
            op.username,
            request.app.state.clock(),
            note=note,
            assignee=assignee or None,
            finding=finding or None,
            result=result or None,
            due=asked,
            told_how=told_how or None,
            tz=ZoneInfo(hall.timezone if hall else "Asia/Shanghai"),
            is_workday=WorkCalendar().is_workday,
        )
    except FollowupError as exc:
        words = translator(lang_of(request))(exc.key, **exc.values)
        return _page(request, op, followup_id, {"error": words}, 409)
    except (CalendarError, ValueError):
        words = translator(lang_of(request))("followup.err_due_bad")
        return _page(request, op, followup_id, {"error": words}, 422)
    audit(
        engine,
        actor=op.username,
        action=f"followup.{action}",
        entity="followup",
        entity_id=followup_id,
        why=note[:500],
    )
    return RedirectResponse(f"/ratings/followups/{followup_id}", status_code=303)
