"""HTTP API of the ratings area (/api/ratings): ratings, refusals, alerts, follow-up tasks
(assign, contacted, resolved, audited), statistics, the service star, exports, settings."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import EngineDep, HallsDep, NowDep
from hub.api.public import CSV, EXPORT_RESPONSES, FILE
from hub.dbtypes import aware as aware_utc
from hub.problems import InvalidProblem, NotFoundProblem, UnavailableProblem
from hub.ratings import reports, store
from hub.ratings.engine import quarter_of
from hub.ratings.followup import act, followup, public, reveal_contact
from hub.ratings.followup_rules import ACTIONS
from hub.ratings.public import (
    ContactPublic,
    FollowupDetailPublic,
    FollowupPublic,
    RatingAlertPublic,
    RatingPublic,
    RatingSettingsPublic,
    RefusalPublic,
    SatisfactionPublic,
    ServiceStarPublic,
)
from hub.ratings.scheme import RatingSettings
from hub.ratings.tables import FollowupRow, RatingAlertRow, RefusalRow
from models.layout import Hall

PROVINCE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {"application/json": FILE, CSV: FILE},
        "description": "The province's 好差评 file, as PROVINCE_EXPORT.md lays it out",
    }
}

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/ratings", tags=["ratings"])
REFUSAL = RefusalRow.__table__  # type: ignore[attr-defined]
ALERT = RatingAlertRow.__table__  # type: ignore[attr-defined]
FOLLOWUP = FollowupRow.__table__  # type: ignore[attr-defined]
HallQ = Annotated[str | None, Query(description="Hall id; may be left out when there is one")]
StartQ = Annotated[date | None, Query(description="First day (hall-local); default today")]
EndQ = Annotated[date | None, Query(description="Last day, included; default start")]


class Step(BaseModel):
    """A follow-up step: who did it and a note, with what the step needs (RATE-3)."""

    model_config = ConfigDict(extra="forbid")
    actor: str | None = Field(
        default=None, max_length=64, description="Who acted; the logged-in operator wins"
    )
    note: str = Field(default="", max_length=1000, description="What was done or said")
    assignee: str | None = Field(default=None, max_length=64, description="assign: to whom")
    result: str | None = Field(
        default=None, max_length=16, description="attempt: no_answer, busy, wrong_number, ..."
    )
    finding: str | None = Field(
        default=None, max_length=16, description="verified: substantiated, partly, unfounded"
    )
    due: date | None = Field(
        default=None, description="rectify: the deadline (at most the hall's rectify_days)"
    )
    told_how: str | None = Field(
        default=None, max_length=16, description="closed: phone, sms, in_person, letter"
    )


def _hall(halls: list[Hall], hall: str | None) -> Hall:
    if hall is None and len(halls) == 1:
        return halls[0]
    for h in halls:
        if h.id == hall:
            return h
    raise NotFoundProblem("error.unknown_hall" if hall else "error.name_hall")


def _actor(request: Request, claimed: str | None) -> str:
    """The logged-in operator when authentication is on, else who the request names."""
    if getattr(request.app.state, "auth_required", False):
        from hub.users.security import current_operator

        return current_operator(request).username
    if not claimed:
        raise InvalidProblem("error.name_actor")
    return claimed


def _days(h: Hall, now: datetime, start: date | None, end: date | None) -> tuple[date, date]:
    today = now.astimezone(ZoneInfo(h.timezone)).date()
    first = start or today
    return first, end or (today if start is None else first)


def _rows(engine: Any, q: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    return [{k: aware_utc(v) if isinstance(v, datetime) else v for k, v in r.items()} for r in rows]


@router.get("", response_model=list[RatingPublic])
def list_ratings(
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    hall: HallQ = None,
    start: StartQ = None,
    end: EndQ = None,
    staff: str | None = None,
    window: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    """Bound ratings between two days (default today)."""
    h = _hall(halls, hall)
    first, last = _days(h, now, start, end)
    return reports.ratings(engine, h.id, first, last, staff=staff, window=window, limit=limit)


@router.get("/refusals", response_model=list[RefusalPublic])
def refusals(
    engine: EngineDep,
    halls: HallsDep,
    hall: HallQ = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
) -> list[dict[str, Any]]:
    """Rating events that were refused, with the reason, newest first (nothing lost)."""
    h = _hall(halls, hall)
    q = sa.select(REFUSAL).where(REFUSAL.c.hall == h.id).order_by(REFUSAL.c.id.desc())
    return _rows(engine, q.limit(limit))


@router.get("/alerts", response_model=list[RatingAlertPublic])
def alerts(
    engine: EngineDep,
    halls: HallsDep,
    hall: HallQ = None,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
) -> list[dict[str, Any]]:
    """Ratings alerts (staff_mismatch RATE-2, contact_overdue / resolve_overdue RATE-3)."""
    h = _hall(halls, hall)
    q = sa.select(ALERT).where(ALERT.c.hall == h.id)
    if kind:
        q = q.where(ALERT.c.kind == kind)
    return _rows(engine, q.order_by(ALERT.c.id.desc()).limit(limit))


@router.get("/followups", response_model=list[FollowupPublic])
def followups(
    engine: EngineDep, halls: HallsDep, hall: HallQ = None, state: str | None = None
) -> list[dict[str, Any]]:
    """Follow-up tasks of dissatisfied ratings (RATE-3), oldest first."""
    h = _hall(halls, hall)
    q = sa.select(FOLLOWUP).where(FOLLOWUP.c.hall == h.id)
    if state:
        q = q.where(FOLLOWUP.c.state == state)
    return [public(r) for r in _rows(engine, q.order_by(FOLLOWUP.c.id))]


@router.get("/followups/{followup_id}", response_model=FollowupDetailPublic)
def one_followup(engine: EngineDep, followup_id: int) -> dict[str, Any]:
    """One follow-up task with its audit log."""
    try:
        return followup(engine, followup_id)
    except KeyError:
        raise NotFoundProblem("followup.err_none", id=followup_id) from None


def _hall_of(engine: Any, halls: list[Hall], followup_id: int) -> Hall:
    with engine.connect() as conn:
        hall = conn.execute(sa.select(FOLLOWUP.c.hall).where(FOLLOWUP.c.id == followup_id)).scalar()
    if hall is None:
        raise NotFoundProblem("followup.err_none", id=followup_id)
    return _hall(halls, hall)


@router.post("/followups/{followup_id}/contact", response_model=ContactPublic)
def open_contact(
    request: Request, engine: EngineDep, now: NowDep, followup_id: int, body: Step
) -> dict[str, Any]:
    """Open the citizen's number to make the call (logged; PRIV-1: erased at closure)."""
    from hub.contact_key import ContactKeyError

    actor = _actor(request, body.actor)
    try:
        return {"phone": reveal_contact(engine, followup_id, actor, now)}
    except KeyError:
        raise NotFoundProblem("followup.err_none", id=followup_id) from None
    except ContactKeyError as exc:
        logger.warning("follow-up %s: %s", followup_id, exc)
        raise UnavailableProblem("contact.no_key") from None


@router.post("/followups/{followup_id}/{action}", response_model=FollowupDetailPublic)
def followup_step(
    request: Request,
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    followup_id: int,
    action: str,
    body: Step,
) -> dict[str, Any]:
    """A step: assign, attempt, contacted, verified, rectify, rectified, closed, audited;
    each logged with its actor (RATE-3)."""
    if action not in ACTIONS:
        raise NotFoundProblem("error.unknown_action")  # fixed words: the URL is not echoed
    actor = _actor(request, body.actor)
    h = _hall_of(engine, halls, followup_id)
    from hub.attendance.calendar import WorkCalendar

    try:
        return act(
            engine,
            followup_id,
            action,
            actor,
            now,
            note=body.note,
            assignee=body.assignee,
            finding=body.finding,
            result=body.result,
            due=body.due,
            told_how=body.told_how,
            tz=ZoneInfo(h.timezone),
            is_workday=WorkCalendar().is_workday,
        )
    except KeyError:
        raise NotFoundProblem("followup.err_none", id=followup_id) from None
    # a CalendarError is a Problem: worded by the app's handler (rule ATT-10)


@router.get("/stats", response_model=list[SatisfactionPublic])
def statistics(
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    hall: HallQ = None,
    by: Literal["staff", "window", "service", "month"] = "staff",
    start: StartQ = None,
    end: EndQ = None,
) -> list[dict[str, Any]]:
    """Satisfaction per staff/window/service/month: share per level and a 0-100 index."""
    h = _hall(halls, hall)
    first, last = _days(h, now, start, end)
    return reports.stats(engine, h.id, first, last, by)


@router.get("/service-star", response_model=list[ServiceStarPublic])
def service_star(
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    hall: HallQ = None,
    quarter: Annotated[str | None, Query(pattern=r"^\d{4}Q[1-4]$")] = None,
) -> list[dict[str, Any]]:
    """The quarterly service-star ranking (RATE-4); default the current quarter."""
    h = _hall(halls, hall)
    q = quarter or quarter_of(now.astimezone(ZoneInfo(h.timezone)).date())
    return reports.stars(engine, h.id, q)


@router.get("/export", response_class=Response, responses=EXPORT_RESPONSES)
def export(
    request: Request,
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    hall: HallQ = None,
    format: Literal["csv", "xlsx"] = "csv",
    what: Literal["ratings", "stats"] = "ratings",
    by: Literal["staff", "window", "service", "month"] = "staff",
    start: StartQ = None,
    end: EndQ = None,
) -> Response:
    """Download ratings or statistics as CSV (UTF-8 with BOM) or XLSX, headers in words
    (zh-CN; English with ?lang=en; hub.exports)."""
    from hub.exports import download, export_lang

    h = _hall(halls, hall)
    first, last = _days(h, now, start, end)
    lang = export_lang(request)
    groups = reports.GROUPS if format == "xlsx" else (by,)
    sheets = reports.export_sheets(engine, h, first, last, lang=lang, what=what, groups=groups)
    stem = f"{what}-{h.id}-{first}-{last}"
    return download(lang, f"exports.ratings_{what}", stem, format, sheets)


@router.get("/province", response_class=Response, responses=PROVINCE_RESPONSES)
def province_export(
    engine: EngineDep,
    halls: HallsDep,
    now: NowDep,
    hall: HallQ = None,
    format: Literal["json", "csv"] = "json",
    start: StartQ = None,
    end: EndQ = None,
) -> Response:
    """Ratings for the province's 好差评 platform, in the documented layout (PROVINCE_EXPORT.md)."""
    from hub.ratings import province

    h = _hall(halls, hall)
    first, last = _days(h, now, start, end)
    if last < first:
        raise InvalidProblem("error.end_before_start")
    if format == "csv":
        data = province.to_csv(province.records(engine, h, first, last))
        media = "text/csv; charset=utf-8"
    else:
        data = province.to_json(province.document(engine, h, first, last, now))
        media = "application/json"
    name = f"haochaping-{h.id}-{first}-{last}.{format}"
    return Response(
        data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/settings", response_model=RatingSettingsPublic)
def get_settings(engine: EngineDep, halls: HallsDep, hall: HallQ = None) -> dict[str, Any]:
    """The hall's rating configuration: the scheme and its dimensions (RATE-1), follow-up
    deadlines in working days (RATE-3), reasons, service star."""
    h = _hall(halls, hall)
    with engine.connect() as conn:
        return store.load_settings(conn, h.id).to_dict()


@router.put("/settings", response_model=RatingSettingsPublic)
def put_settings(
    engine: EngineDep, halls: HallsDep, now: NowDep, body: dict[str, Any], hall: HallQ = None
) -> dict[str, Any]:
    """Replace the hall's ratings settings (keys left out take the defaults)."""
    h = _hall(halls, hall)
    try:
        settings = RatingSettings.from_dict(body)
    except (TypeError, ValueError) as exc:
        logger.info("ratings settings refused: %s", exc)
        raise InvalidProblem("error.bad_settings") from None
    with engine.begin() as conn:
        store.save_settings(conn, h.id, settings, now)
    return settings.to_dict()
