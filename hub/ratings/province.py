"""The ratings export for the province's 好差评 platform (RATE-4), in the layout documented in
hub/ratings/PROVINCE_EXPORT.md (JSON with its schema province_export.schema.json, or CSV).

One record per rated service (not-rated ones are not ratings), with its case number, the
staff member who served, the levels of the national dimensions, the reason of a dissatisfied
rating and where its follow-up stands. Citizens' phone numbers are never exported (PRIV-1).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.dbtypes import aware
from hub.ratings import store
from hub.ratings.scheme import LEVELS, RatingSettings
from hub.ratings.tables import FollowupRow, RatingRow
from models.layout import Hall

FORMAT = "hallkeeper-haochaping"
VERSION = 1
RATING = RatingRow.__table__  # type: ignore[attr-defined]
FOLLOWUP = FollowupRow.__table__  # type: ignore[attr-defined]
FIELDS: tuple[str, ...] = (
    "record_id",
    "hall_code",
    "hall_name",
    "case_no",
    "ticket",
    "service_code",
    "service_name",
    "window_no",
    "staff_no",
    "staff_name",
    "channel",
    "rated_at",
    "level",
    "level_name",
    "efficiency",
    "service_level",
    "attitude",
    "reason_code",
    "reason_text",
    "dissatisfied",
    "followup_state",
    "finding",
    "rectified_at",
    "closed_at",
    "answer",
)
"""The record's fields, in the documented order (the CSV's columns)."""
CHANNEL = "window_device"
"""评价渠道: the rating device at the window (offline)."""


def _iso(value: datetime | None, tz: ZoneInfo) -> str | None:
    return aware(value).astimezone(tz).isoformat(timespec="seconds") if value else None


def records(engine: Engine, hall: Hall, start: date, end: date) -> list[dict[str, Any]]:
    """The hall's rated services between two days (both included), oldest first."""
    tz = ZoneInfo(hall.timezone)
    services = {s.code: s.name for s in hall.services}
    windows = {w.id: w.number for w in hall.windows}
    q = (
        sa.select(RATING, FOLLOWUP.c.state, FOLLOWUP.c.finding)
        .add_columns(
            FOLLOWUP.c.rectified_at, FOLLOWUP.c.closed_at, FOLLOWUP.c.outcome.label("answer")
        )
        .select_from(RATING.outerjoin(FOLLOWUP, FOLLOWUP.c.rating_id == RATING.c.id))
        .where(
            RATING.c.hall == hall.id,
            RATING.c.day >= start,
            RATING.c.day <= end,
            RATING.c.level.is_not(None),
        )
        .order_by(RATING.c.rated_at, RATING.c.id)
    )
    with engine.connect() as conn:
        rows = [r._mapping for r in conn.execute(q)]
        settings: RatingSettings = store.load_settings(conn, hall.id)
        names = {r["staff_id"]: store.staff_name(conn, r["staff_id"]) for r in rows}
    out = []
    for r in rows:
        state = r["state"]
        out.append(
            {
                "record_id": f"{hall.id}-{r['id']}",
                "hall_code": hall.id,
                "hall_name": hall.name,
                "case_no": r["case_no"],
                "ticket": r["ticket"],
                "service_code": r["service"],
                "service_name": services.get(r["service"] or ""),
                "window_no": windows.get(r["window"]),
                "staff_no": r["staff_id"],
                "staff_name": names.get(r["staff_id"]) or None,
                "channel": CHANNEL,
                "rated_at": _iso(r["rated_at"], tz),
                "level": r["level"],
                "level_name": LEVELS[r["level"]],
                "efficiency": r["efficiency"],
                "service_level": r["service_level"],
                "attitude": r["attitude"],
                "reason_code": r["reason"],
                "reason_text": settings.reasons.get(r["reason"]) if r["reason"] else None,
                "dissatisfied": settings.dissatisfied(r["level"]),
                "followup_state": state or "none",
                "finding": r["finding"],
                "rectified_at": _iso(r["rectified_at"], tz),
                "closed_at": _iso(r["closed_at"], tz),
                "answer": r["answer"] or None,
            }
        )
    return out


def document(engine: Engine, hall: Hall, start: date, end: date, now: datetime) -> dict[str, Any]:
    """The JSON document: format, version, hall, period, generation time and the records."""
    tz = ZoneInfo(hall.timezone)
    return {
        "format": FORMAT,
        "version": VERSION,
        "hall": {"code": hall.id, "name": hall.name},
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "generated_at": now.astimezone(tz).isoformat(timespec="seconds"),
        "records": records(engine, hall, start, end),
    }


def to_json(doc: dict[str, Any]) -> bytes:
    """The document as UTF-8 JSON."""
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    """The records as UTF-8 CSV (with BOM), the header row the field names in order; an empty
    field is empty, booleans are true/false."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for r in rows:
        writer.writerow(
            [
                ""
                if r[f] is None
                else ("true" if r[f] is True else "false" if r[f] is False else r[f])
                for f in FIELDS
            ]
        )
    return buf.getvalue().encode("utf-8")
