"""The dead-letter page: every message ingest refused, with its device, topic, reason and time.

Reasons are shown in the reader's language by their code (`deadletter.<code>` in the message
catalogue, hub.ingest.reasons); the technical reason and the payload are not shown here (the
CLI `hallkeeper hub dead-letters --json` gives them).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from hub.dashboard.web import Dashboard, page_operator, render
from hub.events import queries
from hub.ingest.reasons import ALL_CODES, FORGERY_CODES
from hub.users.accounts import Operator

router = APIRouter(include_in_schema=False)  # a page: not part of the API schema
PageOp = Annotated[Operator, Depends(page_operator)]
LIMIT = 500
"""Rows the page lists at most (newest first)."""


def _dash(request: Request) -> Dashboard:
    dash: Dashboard | None = getattr(request.app.state, "dashboard", None)
    if dash is None:
        raise HTTPException(404, "error.404")
    return dash


@router.get("/dead-letters", response_class=HTMLResponse)
def dead_letters_page(
    request: Request,
    op: PageOp,
    since: Annotated[date | None, Query(description="From this hall-local day")] = None,
    device: Annotated[str | None, Query(max_length=63)] = None,
    code: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    """Refused messages, newest first, filtered by day, device and reason."""
    dash = _dash(request)
    zone = dash.halls[0].timezone if dash.halls else "Asia/Shanghai"
    start = datetime.combine(since, time(), ZoneInfo(zone)) if since else None
    engine = request.app.state.engine
    rows = queries.dead_letters(
        engine, limit=LIMIT, since=start, device=device or None, code=code or None
    )
    counts = queries.dead_letter_counts(engine, since=start)
    items: list[dict[str, Any]] = [
        {
            "at": r["received_at"],
            "device": r["device"] or "",
            "topic": r["topic"],
            "code": r["code"] or "other",
            "forged": (r["code"] or "") in FORGERY_CODES,
            "size": r["size"],
        }
        for r in rows
    ]
    return render(
        request,
        "dead_letters.html",
        op,
        {
            "items": items,
            "counts": [(c, counts[c]) for c in ALL_CODES if counts.get(c)],
            "zone": zone,
            "since": since.isoformat() if since else "",
            "device": device or "",
            "code": code or "",
            "limit": LIMIT,
        },
    )
