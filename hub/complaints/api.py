"""HTTP API of the complaints area (/api/complaints): take, list, step, open the contact;
call-backs; alerts; settings; the month's counts for the assessment (DUTY-5, DUTY-6, DEV-4)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import EngineDep, HallsDep, NowDep
from hub.complaints import callbacks as calls
from hub.complaints import store
from hub.complaints.api_public import (
    CallbackPublic,
    ComplaintAlertPublic,
    ComplaintAssessmentPublic,
    ComplaintDetailPublic,
    ComplaintPublic,
    ComplaintSettingsPublic,
    ContactOpenedPublic,
)
from hub.complaints.assessment import complaint_counts
from hub.complaints.rules import (
    ACTIONS,
    OPERATOR_CHANNELS,
    ComplaintInputError,
    ComplaintSettings,
    check_happened,
    clean_text,
)
from hub.contact_key import ContactKeyError, seal_on_hub, seal_text_on_hub
from hub.problems import InvalidProblem, NotFoundProblem, UnavailableProblem
from models.contact import ContactError
from models.layout import Hall

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/complaints", tags=["complaints"])
HallQ = Annotated[str | None, Query(description="Hall id; may be left out when there is one")]


def hall_of(halls: list[Hall], hall: str | None) -> Hall:
    """The hall asked for, or the only one; 404 otherwise."""
    if hall is None and len(halls) == 1:
        return halls[0]
    for h in halls:
        if h.id == hall:
            return h
    raise NotFoundProblem("error.unknown_hall" if hall else "error.name_hall")


def actor_of(request: Request, claimed: str | None) -> str:
    """The logged-in operator, else (authentication off) who the request names."""
    user = getattr(request.state, "user", None)
    if user is not None:
        return str(user.username)
    if not claimed:
        raise InvalidProblem("error.name_actor")
    return claimed


class TakeComplaint(BaseModel):
    """A complaint an operator takes down (in person, phone, message, the box)."""

    model_config = ConfigDict(extra="forbid")
    channel: str = Field(description="in_person, phone, message, box")
    text: str = Field(min_length=1, max_length=2000)
    subject: str = Field(default="", max_length=100)
    window: str | None = Field(default=None, max_length=63)
    staff_id: str | None = Field(default=None, max_length=64)
    happened_at: datetime | None = None
    name: str | None = Field(default=None, max_length=20)
    phone: str | None = Field(default=None, max_length=20)
    actor: str | None = Field(default=None, max_length=64)


def new_complaint(hall: Hall, body: TakeComplaint, now: datetime) -> store.NewComplaint:
    """The complaint as stored: checked, the contact sealed (PRIV-1); Problem / ContactError."""
    if body.channel not in OPERATOR_CHANNELS:
        raise ComplaintInputError("complaint.err_channel")
    if body.window and body.window not in {w.id for w in hall.windows}:
        raise ComplaintInputError("pub.err_window")
    text = clean_text(body.text, least=2, most=2000, key="pub.err_text")
    subject = clean_text(body.subject, least=0, most=100, key="pub.err_subject") or text[:30]
    when = body.happened_at
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(hall.timezone))
    when = check_happened(when, now)
    try:
        phone = seal_on_hub(body.phone) if body.phone else None
        name = seal_text_on_hub(body.name) if body.name else None
    except ContactKeyError:
        raise ComplaintInputError("pub.err_no_key") from None
    return store.NewComplaint(
        body.channel, subject, text, body.window, body.staff_id or None, when, name, phone
    )


@router.post("", status_code=201, response_model=ComplaintDetailPublic)
def take_complaint(
    request: Request,
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    body: TakeComplaint,
    hall: HallQ = None,
) -> dict[str, Any]:
    """Take a complaint (rule DUTY-6: at any time); answers its reference."""
    from hub.attendance.calendar import WorkCalendar

    h = hall_of(halls, hall)
    actor = actor_of(request, body.actor)
    try:
        new = new_complaint(h, body, now)
    except ContactError:
        raise ComplaintInputError("pub.err_phone") from None
    taken = store.take(
        engine,
        h.id,
        new,
        actor=actor,
        now=now,
        tz=ZoneInfo(h.timezone),
        is_workday=WorkCalendar().is_workday,
    )
    return store.get(engine, taken.id)


@router.get("", response_model=list[ComplaintPublic])
def complaints(
    engine: EngineDep, halls: HallsDep, hall: HallQ = None, state: str | None = None
) -> list[dict[str, Any]]:
    """The hall's complaints, newest first."""
    return store.listing(engine, hall_of(halls, hall).id, state=state)


@router.get("/alerts", response_model=list[ComplaintAlertPublic])
def alerts(engine: EngineDep, halls: HallsDep, hall: HallQ = None) -> list[dict[str, Any]]:
    """Missed complaint and call-back deadlines (DUTY-6, DEV-4), newest first."""
    return calls.alerts(engine, hall_of(halls, hall).id)


@router.get("/callbacks", response_model=list[CallbackPublic])
def callbacks(
    engine: EngineDep, halls: HallsDep, hall: HallQ = None, open_only: bool = False
) -> list[dict[str, Any]]:
    """Call-back tasks of citizens whose matter could not be handled now (DEV-4)."""
    return calls.callbacks(engine, hall_of(halls, hall).id, open_only=open_only)


class CallMade(BaseModel):
    """A call-back made: its result, what was said, and whether the task is done."""

    model_config = ConfigDict(extra="forbid")
    result: str = Field(description="reached, no_answer, wrong_number, declined")
    outcome: str = Field(default="", max_length=500)
    done: bool = False
    actor: str | None = Field(default=None, max_length=64)


@router.post("/callbacks/{callback_id}", response_model=CallbackPublic)
def call_made(
    request: Request, engine: EngineDep, now: NowDep, callback_id: int, body: CallMade
) -> dict[str, Any]:
    """Record a call (rule DEV-4); a reached citizen, or `done`, ends it and erases the number."""
    try:
        return calls.callback_step(
            engine,
            callback_id,
            actor_of(request, body.actor),
            now,
            result=body.result,
            outcome=body.outcome,
            done=body.done,
        )
    except KeyError:
        raise NotFoundProblem("complaint.err_no_callback", id=callback_id) from None


@router.get("/assessment", response_model=ComplaintAssessmentPublic)
def assessment(
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
    hall: HallQ = None,
) -> dict[str, Any]:
    """The month's complaints per staff member and window, for the assessment (DUTY-5)."""
    h = hall_of(halls, hall)
    try:
        got = complaint_counts(engine, h.id, month, tz=h.timezone, now=now)
    except ValueError:
        raise InvalidProblem("error.bad_month") from None

    def one(c: Any) -> dict[str, Any]:
        return {
            "received": c.received,
            "substantiated": c.substantiated,
            "partly": c.partly,
            "unfounded": c.unfounded,
            "open": c.open,
            "overdue": c.overdue,
            "against": c.against,
            "refs": c.refs,
        }

    return {
        "month": month,
        "by_staff": {k: one(v) for k, v in got.by_staff.items()},
        "by_window": {k: one(v) for k, v in got.by_window.items()},
        "unattributed": one(got.unattributed),
    }


@router.get("/settings", response_model=ComplaintSettingsPublic)
def get_settings(engine: EngineDep, halls: HallsDep, hall: HallQ = None) -> dict[str, Any]:
    """The hall's complaint deadlines (working days) and public page limits."""
    with engine.connect() as conn:
        return store.load_settings(conn, hall_of(halls, hall).id).to_dict()


@router.put("/settings", response_model=ComplaintSettingsPublic)
def put_settings(
    engine: EngineDep, halls: HallsDep, now: NowDep, body: dict[str, Any], hall: HallQ = None
) -> dict[str, Any]:
    """Replace the hall's complaint settings (keys left out take the defaults)."""
    h = hall_of(halls, hall)
    try:
        settings = ComplaintSettings.from_dict(body)
    except (TypeError, ValueError) as exc:
        logger.info("complaint settings refused: %s", exc)
        raise InvalidProblem("error.bad_settings") from None
    with engine.begin() as conn:
        store.save_settings(conn, h.id, settings, now)
    return settings.to_dict()


@router.get("/{complaint_id}", response_model=ComplaintDetailPublic)
def one(engine: EngineDep, complaint_id: int) -> dict[str, Any]:
    """A complaint with its audit log."""
    try:
        return store.get(engine, complaint_id)
    except KeyError:
        raise NotFoundProblem("complaint.err_none", id=complaint_id) from None


class ComplaintStep(BaseModel):
    """A step: assign (assignee), investigate (window, staff), answer (note = the answer,
    finding, told_how), close."""

    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=2000)
    assignee: str | None = Field(default=None, max_length=64)
    finding: str | None = Field(default=None, max_length=16)
    told_how: str | None = Field(default=None, max_length=16)
    window: str | None = Field(default=None, max_length=63)
    staff_id: str | None = Field(default=None, max_length=64)
    actor: str | None = Field(default=None, max_length=64)


@router.post(
    "/{complaint_id}/contact", response_model=ContactOpenedPublic, response_model_exclude_none=True
)
def open_contact(
    request: Request, engine: EngineDep, now: NowDep, complaint_id: int, body: ComplaintStep
) -> dict[str, str]:
    """Open the complainant's name and number to answer them (logged; PRIV-1)."""
    try:
        return store.reveal(engine, complaint_id, actor_of(request, body.actor), now)
    except KeyError:
        raise NotFoundProblem("complaint.err_none", id=complaint_id) from None
    except ContactKeyError as exc:
        logger.warning("complaint %s: %s", complaint_id, exc)
        raise UnavailableProblem("contact.no_key") from None


@router.post("/{complaint_id}/{action}", response_model=ComplaintDetailPublic)
def step(
    request: Request,
    engine: EngineDep,
    now: NowDep,
    complaint_id: int,
    action: str,
    body: ComplaintStep,
) -> dict[str, Any]:
    """assign, investigate, answer, close; each logged with its actor (DUTY-6)."""
    if action not in ACTIONS:
        raise NotFoundProblem("error.unknown_action")  # fixed words: the URL is not echoed
    try:
        return store.act(
            engine,
            complaint_id,
            action,
            actor_of(request, body.actor),
            now,
            note=body.note,
            assignee=body.assignee,
            finding=body.finding,
            told_how=body.told_how,
            window=body.window,
            staff_id=body.staff_id,
        )
    except KeyError:
        raise NotFoundProblem("complaint.err_none", id=complaint_id) from None
