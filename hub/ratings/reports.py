"""Ratings reports (RATE-4): rating lists, satisfaction per staff/window/service/month, the
quarterly service-star ranking, as rows, CSV and XLSX."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.dbtypes import aware as aware_utc
from hub.ratings import store
from hub.ratings.engine import group_satisfaction, quarter_range, service_stars
from hub.ratings.scheme import LEVELS
from hub.ratings.tables import RatingRow

RATING = RatingRow.__table__  # type: ignore[attr-defined]
GROUPS = ("staff", "window", "service", "month")
"""What statistics can be grouped by."""
RATING_COLUMNS: tuple[str, ...] = (
    "id",
    "day",
    "window",
    "seat",
    "ticket",
    "service",
    "staff_id",
    "shown_staff_id",
    "present_staff_id",
    "mismatch",
    "level",
    "attitude",
    "efficiency",
    "service_level",
    "case_no",
    "reason",
    "rated_at",
)
STAT_COLUMNS: tuple[str, ...] = (
    "group",
    "key",
    "name",
    "total",
    "rated",
    "not_rated",
    *(f"n{lv}" for lv in LEVELS),
    *(f"share{lv}" for lv in LEVELS),
    "satisfied_share",
    "index",
)


def ratings(
    engine: Engine,
    hall: str,
    start: date,
    end: date,
    *,
    staff: str | None = None,
    window: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Bound ratings of a hall between two days (both included), oldest first."""
    q = sa.select(RATING).where(RATING.c.hall == hall, RATING.c.day >= start, RATING.c.day <= end)
    if staff:
        q = q.where(RATING.c.staff_id == staff)
    if window:
        q = q.where(RATING.c.window == window)
    q = q.order_by(RATING.c.rated_at, RATING.c.id)
    if limit:
        q = q.limit(limit)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    for r in rows:
        for k in ("rated_at", "recorded_at"):
            r[k] = aware_utc(r[k])
    return rows


def _key(row: dict[str, Any], by: str) -> str:
    if by == "month":
        return str(row["day"])[:7]
    if by == "staff":
        return row["staff_id"] or ""
    return row[by] or ""


def stats(engine: Engine, hall: str, start: date, end: date, by: str) -> list[dict[str, Any]]:
    """Satisfaction per staff member, window, service or month: counts, shares, 0-100 index."""
    if by not in GROUPS:
        raise ValueError(f"group by one of {GROUPS}")
    rows = ratings(engine, hall, start, end)
    names: dict[str, str] = {}
    if by == "staff":
        with engine.connect() as conn:
            names = {r["staff_id"]: store.staff_name(conn, r["staff_id"]) for r in rows}
    out = []
    for key, sat in group_satisfaction((_key(r, by), r["level"]) for r in rows).items():
        item: dict[str, Any] = {
            "group": by,
            "key": key,
            "name": names.get(str(key), ""),
            "total": sat.total,
            "rated": sat.rated,
            "not_rated": sat.total - sat.rated,
        }
        item.update({f"n{lv}": sat.counts[lv] for lv in LEVELS})
        item.update({f"share{lv}": sat.shares[lv] for lv in LEVELS})
        item.update({"satisfied_share": sat.satisfied_share, "index": sat.index})
        out.append(item)
    return out


def stars(engine: Engine, hall: str, quarter: str) -> list[dict[str, Any]]:
    """The quarterly service-star ranking of a hall (rule RATE-4)."""
    start, end = quarter_range(quarter)
    rows = ratings(engine, hall, start, end)
    with engine.connect() as conn:
        settings = store.load_settings(conn, hall)
        entries = [
            asdict(e) for e in service_stars([(r["staff_id"], r["level"]) for r in rows], settings)
        ]
        for e in entries:
            e["name"] = store.staff_name(conn, e["staff_id"])
            e["quarter"] = quarter
    return entries


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """CSV text (UTF-8 with BOM so spreadsheet programs read the Chinese)."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow(columns)
    for r in rows:
        writer.writerow([_cell(r.get(c)) for c in columns])
    return buf.getvalue()


def to_xlsx(sheets: dict[str, tuple[tuple[str, ...], list[dict[str, Any]]]]) -> bytes:
    """An XLSX workbook with one sheet per (columns, rows)."""
    from openpyxl import Workbook

    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for title, (columns, rows) in sheets.items():
        ws = wb.create_sheet(title[:31])
        ws.append(list(columns))
        for r in rows:
            ws.append([_cell(r.get(c)) for c in columns])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export(
    engine: Engine, hall: str, start: date, end: date, fmt: str, what: str, by: str = "staff"
) -> bytes:
    """The export a hall operator downloads: ratings, or stats (CSV: grouped `by`; XLSX: one
    sheet per grouping)."""
    sheets: dict[str, tuple[tuple[str, ...], list[dict[str, Any]]]]
    if what == "ratings":
        sheets = {"ratings": (RATING_COLUMNS, ratings(engine, hall, start, end))}
    elif what == "stats":
        groups = GROUPS if fmt == "xlsx" else (by,)
        sheets = {g: (STAT_COLUMNS, stats(engine, hall, start, end, g)) for g in groups}
    else:
        raise ValueError("what must be ratings or stats")
    if fmt == "csv":
        ((cols, rows),) = sheets.values()
        return to_csv(rows, cols).encode("utf-8")
    if fmt == "xlsx":
        return to_xlsx(sheets)
    raise ValueError("format must be csv or xlsx")
