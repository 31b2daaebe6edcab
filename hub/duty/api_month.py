"""Duty API, the month: leaders' sittings (DUTY-3), inspections (DUTY-4), the monthly
assessment and its notice as XLSX (DUTY-5), the hall's duty policy (points), the weekly report."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime, Field

from hub.api.deps import EngineDep, NowDep
from hub.api.public import FILE, XLSX
from hub.duty.api_common import (
    REFUSED,
    HallDep,
    OperatorDep,
    Strict,
    actor_of,
    lang_of,
    month_or_422,
)
from hub.duty.assessment import Assessment, ranked
from hub.duty.assessment_store import assess
from hub.duty.hallctx import audit_in, load_duty_policy, save_duty_policy
from hub.duty.policy import DutyPolicy, PolicyError, load_preset, parse_policy, preset_names
from hub.duty.public_month import (
    AssessmentsPublic,
    InspectionPublic,
    InspectionsPublic,
    PolicyChoicePublic,
    PolicyPublic,
    SittingPublic,
    SittingsPublic,
    WeeklyPublic,
)
from hub.duty.roster import month_key
from hub.duty.roster_store import staff_names
from hub.duty.visits import (
    VisitRefused,
    inspections,
    record_inspection,
    record_sitting,
    register_sitting,
    sittings,
    sittings_by_week,
)
from hub.duty.weekly import weekly_report
from hub.duty.words import catalogue, say
from hub.problems import InvalidProblem, NotFoundProblem

router = APIRouter()
NOTICE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {XLSX: FILE},
        "description": "The assessment: JSON, or the notice with format=xlsx",
    }
}

logger = logging.getLogger(__name__)


class SittingIn(Strict):
    """A leader's sitting registered ahead (DUTY-3)."""

    leader: str = Field(min_length=1, max_length=64)
    leader_staff_id: str | None = Field(default=None, max_length=64)
    unit: str = Field(default="", max_length=128)
    window: str = Field(min_length=1, max_length=63)
    day: date


class NoteIn(Strict):
    """A note with a recording."""

    note: str = Field(default="", max_length=500)


class InspectionIn(Strict):
    """An inspection and what it found (DUTY-4)."""

    at: AwareDatetime | None = None
    kind: Literal["spot", "unannounced"] = "spot"
    inspector: str = Field(min_length=1, max_length=64)
    window: str = Field(min_length=1, max_length=63)
    staff_id: str | None = Field(default=None, max_length=64)
    problem: bool = False
    findings: str = Field(default="", max_length=4000)


def _refused(request: Request, key: str) -> JSONResponse:
    return JSONResponse({"detail": [{"key": key, "text": say(lang_of(request), key)}]}, 422)


@router.post("/{hall}/sittings", status_code=201, response_model=SittingPublic, responses=REFUSED)
def post_sitting(
    request: Request,
    body: SittingIn,
    hall: HallDep,
    engine: EngineDep,
    now: NowDep,
    op: OperatorDep,
) -> Any:
    """Register a leader's sitting at a window (flagged late under a week ahead)."""
    try:
        with engine.begin() as conn:
            return register_sitting(
                conn,
                hall,
                **body.model_dump(),
                actor=actor_of(request, op),
                now=now,
                policy=load_duty_policy(conn, hall.id),
            )
    except VisitRefused as exc:
        return _refused(request, str(exc))


@router.post("/{hall}/sittings/{sitting_id}/sat", response_model=SittingPublic, responses=REFUSED)
def post_sat(
    request: Request,
    sitting_id: int,
    body: NoteIn,
    hall: HallDep,
    engine: EngineDep,
    now: NowDep,
    op: OperatorDep,
) -> Any:
    """Record that a registered sitting took place."""
    try:
        with engine.begin() as conn:
            return record_sitting(
                conn, hall, sitting_id, actor=actor_of(request, op), now=now, note=body.note
            )
    except KeyError:
        raise NotFoundProblem("duty.err.no_sitting", id=sitting_id) from None
    except VisitRefused as exc:
        return _refused(request, str(exc))


@router.get("/{hall}/sittings", response_model=SittingsPublic)
def get_sittings(hall: HallDep, engine: EngineDep, now: NowDep, month: str | None = None) -> Any:
    """The month's sittings and, per week, whether it had its sittings (DUTY-3)."""
    month = month or month_key(hall.local_day(now))
    first, last = month_or_422(month)
    with engine.connect() as conn:
        rows = sittings(conn, hall, first, last)
        per_week = load_duty_policy(conn, hall.id).weekly.leader_sittings_per_week
    return {
        "month": month,
        "sittings": rows,
        "weeks": sittings_by_week(rows, first, last, per_week),
    }


@router.post(
    "/{hall}/inspections", status_code=201, response_model=InspectionPublic, responses=REFUSED
)
def post_inspection(
    request: Request,
    body: InspectionIn,
    hall: HallDep,
    engine: EngineDep,
    now: NowDep,
    op: OperatorDep,
) -> Any:
    """Record an inspection against the window and the staff member on post then."""
    values = body.model_dump(exclude={"at"})
    try:
        with engine.begin() as conn:
            return record_inspection(
                conn, hall, at=body.at or now, **values, actor=actor_of(request, op), now=now
            )
    except VisitRefused as exc:
        return _refused(request, str(exc))


@router.get("/{hall}/inspections", response_model=InspectionsPublic)
def get_inspections(hall: HallDep, engine: EngineDep, now: NowDep, month: str | None = None) -> Any:
    """The month's inspections (reported monthly in writing, DUTY-4)."""
    month = month or month_key(hall.local_day(now))
    first, last = month_or_422(month)
    with engine.connect() as conn:
        return {"month": month, "inspections": inspections(conn, hall, first, last)}


def assessment_out(a: Assessment, rank: int) -> dict[str, Any]:
    """One assessment as JSON."""
    return {
        "rank": rank,
        "subject_kind": a.subject_kind,
        "subject": a.subject,
        "base": a.base,
        "total": a.total,
        "items": [
            {"key": i.key, "count": i.count, "each": i.each, "points": i.points, "rule": i.rule}
            for i in a.items
        ],
    }


@router.get("/{hall}/assessment", response_model=AssessmentsPublic, responses=NOTICE_RESPONSES)
def get_assessment(
    request: Request,
    hall: HallDep,
    engine: EngineDep,
    now: NowDep,
    month: str | None = None,
    format: Literal["json", "xlsx", "csv"] = "json",
    by: Literal["staff", "window"] = "staff",
) -> Any:
    """The month's assessment per staff member and window (DUTY-5); frozen once the attendance
    month is closed. `format=xlsx` is the notice (通报) as a workbook; `format=csv` one table
    (`by` staff or window, UTF-8 with BOM), in words (zh-CN; English with ?lang=en)."""
    month = month or month_key(hall.local_day(now))
    month_or_422(month)
    with engine.begin() as conn:
        out, frozen = assess(conn, hall, month, now)
        names = {**staff_names(conn), **hall.hall.window_names()}
    staff = ranked([a for a in out if a.subject_kind == "staff"])
    windows = ranked([a for a in out if a.subject_kind == "window"])
    if format == "csv":
        from hub.exports import Sheet, download

        lang = lang_of(request)
        rows = [
            {
                "rank": rank,
                "subject": shown_subject(a, names)[0],
                "name": shown_subject(a, names)[1],
                "total": a.total,
                "items": assessment_items(catalogue(lang), a),
            }
            for rank, a in (staff if by == "staff" else windows)
        ]
        table = Sheet(f"assess_{by if by == 'staff' else 'windows'}", ASSESS_COLUMNS, rows)
        return download(lang, "assessment", f"assessment-{hall.id}-{month}-{by}", "csv", [table])
    if format == "xlsx":
        body = assessment_xlsx(
            hall.hall.name, month, frozen, staff, windows, names, lang_of(request)
        )
        return Response(
            body,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={
                "Content-Disposition": f'attachment; filename="assessment-{hall.id}-{month}.xlsx"'
            },
        )
    return {
        "month": month,
        "frozen": frozen,
        "staff": [{**assessment_out(a, r), "name": names.get(a.subject, "")} for r, a in staff],
        "windows": [assessment_out(a, r) for r, a in windows],
    }


ASSESS_COLUMNS = ("rank", "subject", "name", "total", "items")
"""The assessment's columns; their headers are the catalogue's words of the same keys."""


def shown_subject(a: Assessment, names: dict[str, str]) -> tuple[str, str]:
    """(subject, name) cells: a staff member's id and name; a window by the hall's name only."""
    if a.subject_kind == "window":
        return names.get(a.subject, a.subject), ""
    return a.subject, names.get(a.subject, "")


def assessment_items(t: Callable[..., str], a: Assessment) -> str:
    """An assessment's items in words: 迟到×2（-2，ATT-9）；..."""
    return "；".join(
        f"{t('item_' + i.key)}×{i.count:g}（{i.points:+g}，{i.rule}）" for i in a.items
    )


def assessment_xlsx(
    hall_name: str,
    month: str,
    frozen: bool,
    staff: list[tuple[int, Assessment]],
    windows: list[tuple[int, Assessment]],
    names: dict[str, str],
    lang: str,
) -> bytes:
    """The notice (通报) as a workbook: staff and windows ranked, with their items."""
    from openpyxl import Workbook

    t = catalogue(lang)
    book = Workbook()
    for index, (title, rows) in enumerate(
        ((t("assess_staff"), staff), (t("assess_windows"), windows))
    ):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        sheet.append(
            [
                f"{hall_name} {month} {t('assessment')}",
                t("assess_frozen") if frozen else t("assess_open"),
            ]
        )
        sheet.append([t(c) for c in ASSESS_COLUMNS])
        for rank, a in rows:
            sheet.append([rank, *shown_subject(a, names), a.total, assessment_items(t, a)])
        sheet.column_dimensions["E"].width = 90
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@router.get("/{hall}/policy", response_model=PolicyChoicePublic)
def get_policy(hall: HallDep, engine: EngineDep) -> dict[str, Any]:
    """The hall's duty policy (points included) and the presets it may start from."""
    with engine.connect() as conn:
        policy = load_duty_policy(conn, hall.id)
    return {"policy": policy.model_dump(mode="json"), "presets": preset_names()}


@router.put("/{hall}/policy", response_model=PolicyPublic)
def put_policy(
    request: Request,
    body: dict[str, Any],
    hall: HallDep,
    engine: EngineDep,
    now: NowDep,
    op: OperatorDep,
) -> Any:
    """Replace the hall's duty policy (a preset's name under `preset`, or the whole policy)."""
    try:
        if set(body) == {"preset"}:
            policy: DutyPolicy = load_preset(str(body["preset"]))
        else:
            policy = parse_policy(body, "policy")
    except PolicyError as exc:  # the message says where, in English: logged, not shown
        logger.info("duty policy refused: %s", exc)
        raise InvalidProblem("error.bad_settings") from None
    with engine.begin() as conn:
        save_duty_policy(conn, hall.id, policy, actor_of(request, op), now)
        audit_in(
            conn,
            actor=actor_of(request, op),
            action="duty.policy",
            entity="duty_policy",
            entity_id=hall.id,
            after=policy.model_dump(mode="json"),
            at=now,
        )
    return {"policy": policy.model_dump(mode="json")}


@router.get("/{hall}/weekly", response_model=WeeklyPublic)
def get_weekly(
    hall: HallDep, engine: EngineDep, now: NowDep, week: date | None = None
) -> dict[str, Any]:
    """The duty chief's weekly written report as data (the page prints it)."""
    with engine.connect() as conn:
        report = weekly_report(conn, hall, week or hall.local_day(now), now)
    return {
        "monday": report["monday"],
        "sunday": report["sunday"],
        "terms": [
            {"staff_id": t.staff_id, "start": t.start, "end": t.end} for t in report["terms"]
        ],
        "handover_done": report["handover_done"],
        "days": [
            {
                "day": d["day"],
                "chief": d["chief"],
                "acknowledged_at": d["opening"].get("acknowledged_at"),
                "checks": len(d["checks"]),
                "checks_done": sum(1 for c in d["checks"] if c["performed_at"] is not None),
                "handovers": len(d["handovers"]),
                "flags": dict(d["flags"]),
                "violations": d["violations"],
            }
            for d in report["days"]
        ],
        "sittings": len(report["sittings"]),
        "inspections": len(report["inspections"]),
        "log": len(report["log"]),
    }
