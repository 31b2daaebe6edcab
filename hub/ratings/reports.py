"""Ratings reports (RATE-4): rating lists, satisfaction per staff/window/service/month, the
quarterly service-star ranking, as rows and as the sheets of the office's export."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.dashboard.i18n import has, translator
from hub.dbtypes import aware as aware_utc
from hub.exports import Sheet
from hub.ratings import store
from hub.ratings.engine import group_satisfaction, quarter_range, service_stars
from hub.ratings.scheme import LEVELS
from hub.ratings.tables import RatingRow
from models.layout import Hall

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


def export_sheets(
    engine: Engine,
    hall: Hall,
    start: date,
    end: date,
    *,
    lang: str,
    what: str = "ratings",
    groups: tuple[str, ...] = GROUPS,
) -> list[Sheet]:
    """The export a hall office downloads (hub.exports writes it as CSV or XLSX): the ratings,
    or their statistics one sheet per grouping, in the office's words."""
    if what == "ratings":
        rows = worded(lang, hall, ratings(engine, hall.id, start, end))
        return [Sheet("rating.sheet.ratings", RATING_COLUMNS, rows, "rating.col.")]
    if what != "stats":
        raise ValueError("what must be ratings or stats")
    return [
        Sheet(
            f"rating.sheet.{g}",
            STAT_COLUMNS,
            worded(lang, hall, stats(engine, hall.id, start, end, g)),
            "rating.col.",
        )
        for g in groups
    ]


def worded(lang: str, hall: Hall, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in the office's words: windows and services by their names, levels and reasons in
    words, a statistic's grouping named (never w03, social, 5, attitude)."""
    t = translator(lang)
    windows, services = hall.window_names(), {s.code: s.name for s in hall.services}
    out = []
    for row in rows:
        r = dict(row)
        if "window" in r:
            r["window"] = windows.get(r["window"], r["window"])
        if "service" in r:
            r["service"] = services.get(r["service"], r["service"])
        if isinstance(r.get("level"), int):
            r["level"] = t(f"level.{r['level']}")
        if r.get("reason") and has(f"followup.reason.{r['reason']}"):
            r["reason"] = t(f"followup.reason.{r['reason']}")
        if r.get("group") in ("window", "service"):
            r["key"] = (windows if r["group"] == "window" else services).get(r["key"], r["key"])
        if "group" in r:
            r["group"] = t(f"rating.sheet.{r['group']}")
        out.append(r)
    return out
