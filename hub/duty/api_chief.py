"""Duty API, the duty chief: rotation and stand-ins (DUTY-2), the log, duty checks (POST-8),
the opening check's acknowledgement (DEV-1) and arriving early (ATT-12)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, Field

from hub.api.deps import EngineDep, NowDep
from hub.duty.api_common import (
    CHIEF_ROLES,
    REFUSED,
    HallDep,
    OperatorDep,
    Strict,
    actor_of,
    lang_of,
)
from hub.duty.arrivals import arrivals
from hub.duty.checks import CheckRefused, checks_of_day, record_check, shown
from hub.duty.chief_store import (
    ChiefRefused,
    add_log,
    add_stand_in,
    chief_on,
    log_between,
    rotations,
    set_rotation,
    stand_ins,
    unapproved_chief,
)
from hub.duty.hallctx import load_duty_policy
from hub.duty.opening import AckRefused, acknowledge, state
from hub.duty.public import (
    ArrivalPublic,
    ChiefPublic,
    DutyCheckPublic,
    DutyCheckShown,
    LogEntryPublic,
    OpeningPublic,
    RotationSet,
    StandInCreated,
)
from hub.duty.rotation import terms
from hub.duty.words import say
from hub.problems import InvalidProblem, NotFoundProblem

router = APIRouter()


class RotationIn(Strict):
    """The centre's order of duty chiefs from `anchor` on (rule DUTY-2)."""

    anchor: date
    order: list[str] = Field(min_length=1, max_length=200)
    term_days: int | None = Field(default=None, ge=1, le=92)
    why: str = Field(default="", max_length=500)


class StandInIn(Strict):
    """A stand-in for the duty chief's leave, approved by the head duty chief (DUTY-2)."""

    chief: str = Field(min_length=1, max_length=64)
    staff_id: str = Field(min_length=1, max_length=64)
    start: date
    end: date
    reason: str = Field(default="", max_length=500)


class LogIn(Strict):
    """An entry of the duty chief's log; points (加分/扣分) name a staff member or window."""

    day: date | None = None
    kind: Literal["note", "incident", "handover", "points"] = "note"
    text: str = Field(min_length=1, max_length=4000)
    staff_id: str | None = Field(default=None, max_length=64)
    window: str | None = Field(default=None, max_length=63)
    points: float = Field(default=0, ge=-100, le=100)


class SeatCheck(Strict):
    """One seat's checklist (POST-8): on post, duty badge, away sign, desk; and a note."""

    on_post: bool | None = None
    badge: bool | None = None
    sign: bool | None = None
    desk: bool | None = None
    note: str = Field(default="", max_length=500)


class CheckIn(Strict):
    """A performed duty check."""

    at: AwareDatetime | None = None
    items: dict[str, SeatCheck] = Field(default_factory=dict)
    note: str = Field(default="", max_length=1000)


class AckIn(Strict):
    """The duty chief's acknowledgement of the opening check (DEV-1)."""

    note: str = Field(default="", max_length=1000)


def _refused(request: Request, key: str, **values: object) -> JSONResponse:
    lang = lang_of(request)
    text = say(lang, key, **values)
    return JSONResponse({"detail": [{"key": key, "values": values, "text": text}]}, 422)


@router.get("/{hall}/chief", response_model=ChiefPublic)
def get_chief(
    hall: HallDep,
    engine: EngineDep,
    now: NowDep,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, Any]:
    """Today's duty chief, the terms of a range (default: 8 weeks from 2 back), stand-ins."""
    today = hall.local_day(now)
    start = start or today - timedelta(days=14)
    end = end or start + timedelta(days=55)
    if end < start or (end - start).days > 400:
        raise InvalidProblem("error.bad_range", days=400)
    with engine.connect() as conn:
        rots = rotations(conn, hall.id)
        found = chief_on(conn, hall, today)
        subs = stand_ins(conn, hall.id)
        unapproved = unapproved_chief(conn, hall, today)
    return {
        "today": today,
        "chief": found[0] if found else None,
        "rostered_chief": (found[1] or found[0]) if found else None,
        "standin_unapproved": unapproved is not None,
        "terms": [_term(t) for t in terms(rots, start, end)],
        "rotations": [_rotation(r) for r in rots],
        "stand_ins": [_standin(s) for s in subs],
    }


def _term(t: Any) -> dict[str, Any]:
    return {"index": t.index, "staff_id": t.staff_id, "start": t.start, "end": t.end}


def _rotation(r: Any) -> dict[str, Any]:
    return {"id": r.id, "anchor": r.anchor, "order": list(r.order), "term_days": r.term_days}


def _standin(s: Any) -> dict[str, Any]:
    return {
        "chief": s.chief,
        "staff_id": s.staff_id,
        "start": s.start,
        "end": s.end,
        "approved_by": s.approved_by,
    }


@router.put("/{hall}/rotation", response_model=RotationSet, responses=REFUSED)
def put_rotation(
    request: Request,
    body: RotationIn,
    hall: HallDep,
    engine: EngineDep,
    now: NowDep,
    op: OperatorDep,
) -> Any:
    """Set the centre's order of duty chiefs from `anchor` on (audited)."""
    try:
        with engine.begin() as conn:
            term_days = body.term_days or load_duty_policy(conn, hall.id).rotation.term_days
            return set_rotation(
                conn,
                hall.id,
                anchor=body.anchor,
                order=body.order,
                term_days=term_days,
                actor=actor_of(request, op),
                now=now,
                why=body.why,
            )
    except ChiefRefused as exc:
        return _refused(request, exc.key, **exc.values)


@router.post(
    "/{hall}/chief-standins", status_code=201, response_model=StandInCreated, responses=REFUSED
)
def post_stand_in(
    request: Request,
    body: StandInIn,
    hall: HallDep,
    engine: EngineDep,
    now: NowDep,
    op: OperatorDep,
) -> Any:
    """Record a stand-in approved by the acting head duty chief (the operator)."""
    try:
        with engine.begin() as conn:
            return add_stand_in(
                conn,
                hall.id,
                chief=body.chief,
                staff_id=body.staff_id,
                start=body.start,
                end=body.end,
                approved_by=actor_of(request, op),
                reason=body.reason,
                now=now,
            )
    except ChiefRefused as exc:
        return _refused(request, exc.key, **exc.values)


@router.get("/{hall}/log", response_model=list[LogEntryPublic])
def get_log(
    hall: HallDep,
    engine: EngineDep,
    now: NowDep,
    start: date | None = None,
    end: date | None = None,
) -> list[dict[str, Any]]:
    """The duty chief's log of a range (default: the last 7 days)."""
    today = hall.local_day(now)
    with engine.connect() as conn:
        return log_between(conn, hall.id, start or today - timedelta(days=6), end or today)


@router.post("/{hall}/log", status_code=201, response_model=LogEntryPublic, responses=REFUSED)
def post_log(
    request: Request, body: LogIn, hall: HallDep, engine: EngineDep, now: NowDep, op: OperatorDep
) -> Any:
    """Write in the duty chief's log (a handover at the end of a term is kind `handover`)."""
    if body.window is not None and body.window not in {w.id for w in hall.hall.windows}:
        return _refused(request, "log_err_window", window=body.window)
    today = hall.local_day(now)
    try:
        with engine.begin() as conn:
            return add_log(
                conn,
                hall,
                day=body.day or today,
                author=actor_of(request, op),
                kind=body.kind,
                text=body.text,
                now=now,
                today=today,
                staff_id=body.staff_id,
                window=body.window,
                points=body.points,
            )
    except ChiefRefused as exc:
        return _refused(request, exc.key, **exc.values)


@router.get("/{hall}/checks", response_model=list[DutyCheckShown])
def get_checks(
    hall: HallDep, engine: EngineDep, now: NowDep, op: OperatorDep, day: date | None = None
) -> list[dict[str, Any]]:
    """The day's duty checks; their times are hidden from all but chiefs until due (POST-8)."""
    with engine.connect() as conn:
        rows = checks_of_day(conn, hall.id, day or hall.local_day(now))
    return [shown(r, now, op.role in CHIEF_ROLES) for r in rows]


@router.post("/{hall}/checks/{check_id}", response_model=DutyCheckPublic, responses=REFUSED)
def post_check(
    request: Request,
    check_id: int,
    body: CheckIn,
    hall: HallDep,
    engine: EngineDep,
    now: NowDep,
    op: OperatorDep,
) -> Any:
    """Record a performed check with its checklist per seat (audited)."""
    items = {seat: c.model_dump() for seat, c in body.items.items()}
    try:
        with engine.begin() as conn:
            return record_check(
                conn,
                hall,
                check_id,
                actor=actor_of(request, op),
                at=body.at or now,
                now=now,
                items=items,
                note=body.note,
                policy=load_duty_policy(conn, hall.id),
            )
    except KeyError:
        raise NotFoundProblem("duty.err.no_check", id=check_id) from None
    except CheckRefused as exc:
        return _refused(request, str(exc))


@router.get("/{hall}/opening", response_model=OpeningPublic)
def get_opening(
    hall: HallDep, engine: EngineDep, now: NowDep, day: date | None = None
) -> dict[str, Any]:
    """The day's opening check: the fleet's report and the duty chief's acknowledgement."""
    with engine.connect() as conn:
        return state(conn, hall, day or hall.local_day(now), load_duty_policy(conn, hall.id))


@router.post("/{hall}/opening/ack", response_model=OpeningPublic, responses=REFUSED)
def post_opening_ack(
    request: Request, body: AckIn, hall: HallDep, engine: EngineDep, now: NowDep, op: OperatorDep
) -> Any:
    """The duty chief acknowledges today's opening check (rule DEV-1)."""
    try:
        with engine.begin() as conn:
            found = chief_on(conn, hall, hall.local_day(now))
            return acknowledge(
                conn,
                hall,
                actor=actor_of(request, op),
                chief=found[0] if found else None,
                now=now,
                note=body.note,
                policy=load_duty_policy(conn, hall.id),
            )
    except AckRefused as exc:
        return _refused(request, str(exc))


@router.get("/{hall}/arrivals", response_model=list[ArrivalPublic])
def get_arrivals(
    hall: HallDep,
    engine: EngineDep,
    now: NowDep,
    start: date | None = None,
    end: date | None = None,
) -> list[dict[str, Any]]:
    """Arriving early before opening (rule ATT-12), per rostered staff-day and the duty chief."""
    today = hall.local_day(now)
    start, end = start or today, end or start or today
    if end < start or (end - start).days > 62:
        raise InvalidProblem("error.bad_range", days=62)
    with engine.connect() as conn:
        return [
            {
                "staff_id": a.staff_id,
                "day": a.day,
                "chief": a.chief,
                "first_punch": a.first_punch,
                "minutes_before": a.minutes_before,
                "verdict": a.verdict.value,
                "needed_min": a.needed_min,
                "rule": "ATT-12",
            }
            for a in arrivals(conn, hall, start, end)
        ]
