"""The queue's export for the hall office (point 18.8): every ticket of a period and the
figures by service, window and hour, as XLSX or CSV with Chinese headers (hub.exports)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from hub.api.public import EXPORT_RESPONSES
from hub.exports import Sheet, download, export_lang
from hub.queue import stats, store
from hub.queue.api import QueueDep

router = APIRouter(prefix="/api/queue", tags=["queue"])
TICKETS = (
    "day",
    "number",
    "service",
    "green",
    "issued_at",
    "called_at",
    "started_at",
    "finished_at",
    "window",
    "staff",
    "calls",
    "no_show",
    "wait_min",
    "service_min",
)
GROUPS = (
    "key",
    "tickets",
    "served",
    "no_shows",
    "no_show_rate",
    "mean_wait_min",
    "max_wait_min",
    "mean_service_min",
)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def ticket_rows(records: list[stats.TicketRecord], names: dict[str, str]) -> list[dict[str, Any]]:
    """One row per ticket, services and windows by the names the hall uses."""
    rows = []
    for r in records:
        row: dict[str, Any] = asdict(r)
        called = r.started_at or r.called_at
        row["wait_min"] = _minutes((called - r.issued_at).total_seconds()) if called else None
        done = r.finished_at and r.started_at
        row["service_min"] = (
            _minutes((r.finished_at - r.started_at).total_seconds())  # type: ignore[operator]
            if done
            else None
        )
        row["service"] = names.get(f"service:{r.service}", r.service)
        row["window"] = names.get(f"window:{r.window}", r.window or "")
        rows.append(row)
    return rows


def group_rows(
    groups: list[stats.GroupStats], names: dict[str, str], kind: str
) -> list[dict[str, Any]]:
    """The figures of each group, waits in minutes."""
    out = []
    for g in groups:
        out.append(
            {
                "key": names.get(f"{kind}:{g.key}", g.key),
                "tickets": g.tickets,
                "served": g.served,
                "no_shows": g.no_shows,
                "no_show_rate": None if g.no_show_rate is None else round(g.no_show_rate, 3),
                "mean_wait_min": _minutes(g.mean_wait_s),
                "max_wait_min": _minutes(g.max_wait_s),
                "mean_service_min": _minutes(g.mean_service_s),
            }
        )
    return out


@router.get("/export", response_class=Response, responses=EXPORT_RESPONSES)
def export(
    request: Request,
    q: QueueDep,
    start: date | None = None,
    end: date | None = None,
    format: Literal["csv", "xlsx"] = "xlsx",
) -> Response:
    """Tickets (CSV) or tickets and figures by service, window and hour (XLSX) of a period."""
    tz = q.queue.settings.tz
    today = q.clock().astimezone(tz).date()
    first, last = start or today, end or start or today
    if last < first or (last - first).days > 366:
        raise HTTPException(422, "queue.export_range")
    events = list(store.events_between(q.db, q.hall.id, first.isoformat(), last.isoformat()))
    immediate = {s.code for s in q.hall.services if s.immediate}
    figures = stats.compute(events, tz, immediate=immediate, now=q.clock())
    names = {f"service:{s.code}": s.name for s in q.hall.services}
    names.update({f"window:{k}": v for k, v in q.hall.window_names().items()})
    sheets = [
        Sheet(
            "queue.sheet.tickets",
            TICKETS,
            ticket_rows(stats.records(events, tz), names),
            "queue.col.",
        ),
        Sheet(
            "queue.sheet.services",
            GROUPS,
            group_rows(figures.by_service, names, "service"),
            "queue.col.service_",
            "queue.col.",
        ),
        Sheet(
            "queue.sheet.windows",
            GROUPS,
            group_rows(figures.by_window, names, "window"),
            "queue.col.window_",
            "queue.col.",
        ),
        Sheet(
            "queue.sheet.hours",
            GROUPS,
            group_rows(figures.by_hour, names, "hour"),
            "queue.col.hour_",
            "queue.col.",
        ),
    ]
    return download(
        export_lang(request), "exports.queue", f"{q.hall.id}-{first}-{last}", format, sheets
    )
