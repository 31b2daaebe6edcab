"""The dashboard's record pages: on-post violations and ratings (attendance has its own module)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from hub.dashboard import views
from hub.dashboard.charts import bar_chart
from hub.dashboard.i18n import translator
from hub.dashboard.routes import DashDep, PageOp
from hub.dashboard.web import lang_of, render

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


@router.get("/compliance", response_class=HTMLResponse)
def compliance_page(
    request: Request, op: PageOp, dash: DashDep, day: str | None = None, hall: str | None = None
) -> HTMLResponse:
    """On-post violations of the week up to a day (rules POST-1..POST-6), with a chart by rule."""
    h = dash.hall(hall)
    last = views.parse_day(day, views.local_day(dash.clock(), h))
    first = views.week_before(last)
    rows = views.violations(request.app.state.engine, h, first, last)
    by_rule: dict[str, int] = {}
    for r in rows:
        by_rule[r["rule"]] = by_rule.get(r["rule"], 0) + 1
    t = translator(lang_of(request))
    bars = sorted((k, float(v)) for k, v in by_rule.items())
    chart = bar_chart([(t(f"rule.{k}.title"), v) for k, v in bars], title=t("rule"))
    return render(
        request,
        "compliance.html",
        op,
        {"rows": rows, "first": first, "last": last, "chart": chart, "zone": h.timezone},
    )


@router.get("/ratings", response_class=HTMLResponse)
def ratings_page(
    request: Request, op: PageOp, dash: DashDep, day: str | None = None
) -> HTMLResponse:
    """Ratings by staff member (RATE-4) and the follow-ups of dissatisfied ratings (RATE-3)."""
    if not dash.ratings:
        raise HTTPException(404, "error.no_ratings")
    import sqlalchemy as sa

    from hub.ratings import reports
    from hub.ratings.followup import public
    from hub.ratings.tables import FollowupRow

    h = dash.hall(None)
    last = views.parse_day(day, views.local_day(dash.clock(), h))
    first = last.replace(day=1)
    engine = request.app.state.engine
    stats = reports.stats(engine, h.id, first, last, "staff")
    table = FollowupRow.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        followups = [
            public(dict(r._mapping))  # times aware, the sealed number never shown (PRIV-1)
            for r in conn.execute(
                sa.select(table).where(table.c.hall == h.id).order_by(table.c.id.desc()).limit(100)
            )
        ]
    t = translator(lang_of(request))
    chart = bar_chart(
        [(str(s.get("key", "")), float(s.get("index") or 0)) for s in stats][:20],
        title=t("satisfied"),
    )
    return render(
        request,
        "ratings.html",
        op,
        {
            "stats": stats,
            "followups": followups,
            "first": first,
            "last": last,
            "chart": chart,
            "zone": h.timezone,
        },
    )
