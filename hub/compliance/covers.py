"""Covers (顶岗, rule POST-6): a temporary leave from a seat with a colleague covering it,
requested and then approved or refused; the one place the API and the dashboard's page do it.

Refusals are Problems (catalogue keys): the API answers them as JSON, the pages in words.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.compliance.api_common import row_out
from hub.compliance.projector import CompliancePresence
from hub.compliance.tables import CoverRow, utc
from hub.db import session_scope
from hub.dbtypes import aware
from hub.problems import InvalidProblem, NotFoundProblem, Problem
from models.layout import Hall


def list_covers(engine: Engine, hall: str, limit: int = 200) -> list[dict[str, Any]]:
    """Cover requests and approvals of a hall, newest first."""
    with Session(engine) as s:
        rows = s.exec(
            select(CoverRow)
            .where(CoverRow.hall == hall)
            .order_by(col(CoverRow.id).desc())
            .limit(limit)
        ).all()
        return [row_out(r) for r in rows]


def request_cover(
    engine: Engine,
    hall: Hall,
    *,
    seat: str,
    start: datetime,
    end: datetime,
    now: datetime,
    staff_id: str | None = None,
    cover_staff_id: str | None = None,
    reason: str = "",
) -> dict[str, Any]:
    """Ask for a temporary leave with a cover (rule POST-6); returns the stored request."""
    if not any(seat in w.seats for w in hall.windows):
        raise NotFoundProblem("cover.unknown_seat", field="seat", seat=seat)
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidProblem("form.bad_time", field="start")
    if end <= start:
        raise InvalidProblem("cover.end_order", field="end")
    if staff_id and cover_staff_id and staff_id == cover_staff_id:
        raise InvalidProblem("cover.self", field="cover_staff_id")
    with session_scope(engine) as s:
        row = CoverRow(
            hall=hall.id,
            seat=seat,
            staff_id=staff_id or None,
            cover_staff_id=cover_staff_id or None,
            start=utc(start),
            end=utc(end),
            reason=reason,
            requested_at=utc(now),
        )
        s.add(row)
        s.flush()
        return row_out(row)


def decide_cover(
    engine: Engine,
    hall: Hall,
    projector: CompliancePresence,
    cover_id: int,
    *,
    approve: bool,
    now: datetime,
    approved_by: str = "",
    approver_role: str = "duty_chief",
) -> dict[str, Any]:
    """Approve or refuse a requested cover and re-judge its days; the duty chief signs at most
    the policy's hours (rule POST-6); a cover is decided once."""
    with session_scope(engine) as s:
        row = s.get(CoverRow, cover_id)
        if row is None or row.hall != hall.id:
            raise NotFoundProblem("cover.not_found", id=cover_id)
        if row.status != "requested":
            raise Problem("cover.decided", id=cover_id)
        if approve:
            span = aware(row.end) - aware(row.start)
            longest = projector.policy.duty_chief_max_s
            if approver_role == "duty_chief" and span.total_seconds() > longest:
                raise InvalidProblem("cover.chief_max", hours=f"{longest / 3600:g}", rule="POST-6")
            row.approved_by, row.approver_role = approved_by[:64], approver_role
            row.approved_at = utc(now)
        row.status = "approved" if approve else "refused"
        s.add(row)
        out = row_out(row)
    tz = ZoneInfo(hall.timezone)
    window = next(w.id for w in hall.windows if out["seat"] in w.seats)
    day = out["start"].astimezone(tz).date()
    while day <= out["end"].astimezone(tz).date():
        projector.recompute(engine, hall.id, window, day)
        day += timedelta(days=1)
    return out
