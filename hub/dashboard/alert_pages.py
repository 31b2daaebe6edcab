"""The alerts page: every area's alerts in one list, filtered and counted, each acknowledged or
resolved by an operator with a comment (point 18.6); it updates live over SSE."""

from __future__ import annotations

import logging
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from hub.dashboard.i18n import translator
from hub.dashboard.routes import CHIEFS, DashDep, PageOp
from hub.dashboard.views import people_names
from hub.dashboard.web import lang_of, render
from hub.fleet import alerts as desk
from hub.problems import InvalidProblem
from hub.users.accounts import audit
from hub.users.security import check_csrf

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
STATES = ("active", "open", "acknowledged", "resolved", "all")
SOURCES = ("fleet", "compliance", "duty", "ratings", "queue", "attendance", "calendar", "ingest")


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request,
    op: PageOp,
    dash: DashDep,
    state: str = "active",
    source: str = "",
    severity: str = "",
) -> HTMLResponse:
    """Alerts, newest first, with filters by state, source and severity and their counts."""
    return _page(request, op, dash, state, source, severity)


def _page(
    request: Request,
    op: Any,
    dash: Any,
    state: str = "active",
    source: str = "",
    severity: str = "",
    *,
    errors: dict[int, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The alerts page; `errors` are refusals shown beside the form of their alert."""
    state = state if state in STATES else "active"
    source = source if source in SOURCES else ""
    severity = severity if severity in desk.SEVERITIES else ""
    engine = request.app.state.engine
    with Session(engine) as session:
        items = desk.feed(session, state=state, source=source or None, severity=severity or None)
        counts = desk.counts(session)
        names = people_names(session, dash.halls)
    return render(
        request,
        "alerts.html",
        op,
        {
            "items": items,
            "counts": counts,
            "names": names,
            "filters": {"state": state, "source": source, "severity": severity},
            "states": STATES,
            "sources": SOURCES,
            "severities": desk.SEVERITIES,
            "can_act": op.role in CHIEFS,
            "zone": dash.halls[0].timezone if dash.halls else "Asia/Shanghai",
            "state_of": desk.state_of,
            "query": str(request.url.query),
            "errors": errors or {},
        },
        status=status,
    )


@router.get("/fragments/alert-badge", response_class=HTMLResponse)
def alert_badge(request: Request, op: PageOp) -> HTMLResponse:
    """The navigation's alert count alone (swapped in when the SSE stream says alerts changed)."""
    return render(request, "_alert_badge.html", op, {})


def _act(
    request: Request, op: Any, dash: Any, alert_id: int, comment: str, action: str
) -> Response:
    if op.role not in CHIEFS:
        raise HTTPException(403, "forbidden.chiefs")
    engine = request.app.state.engine
    with Session(engine) as session:
        step = desk.acknowledge if action == "acknowledge" else desk.resolve
        try:
            alert = step(session, alert_id, actor=op.username, comment=comment, now=dash.clock())
        except InvalidProblem as exc:  # no comment: said beside the alert's form, page kept
            words = translator(lang_of(request))(exc.key, **exc.values)
            return _page(request, op, dash, errors={alert_id: words}, status=exc.status)
        audit(
            session,
            actor=op.username,
            action=f"alert.{action}",
            entity="alert",
            entity_id=alert_id,
            why=comment.strip(),
            after={"state": desk.state_of(alert)},
        )
        session.commit()
    back = urlsplit(request.headers.get("referer", ""))  # the list as filtered, else all
    query = f"?{back.query}" if back.path == "/alerts" and back.query else ""
    return RedirectResponse(f"/alerts{query}", status_code=303)


@router.post("/alerts/{alert_id}/acknowledge", response_model=None)
def acknowledge_alert(
    request: Request,
    alert_id: int,
    op: PageOp,
    dash: DashDep,
    comment: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Acknowledge an alert with a comment (duty chief, supervision office, admin; audited)."""
    check_csrf(request, csrf_token)
    return _act(request, op, dash, alert_id, comment, "acknowledge")


@router.post("/alerts/{alert_id}/resolve", response_model=None)
def resolve_alert(
    request: Request,
    alert_id: int,
    op: PageOp,
    dash: DashDep,
    comment: Annotated[str, Form(max_length=500)] = "",
    why: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Resolve an alert of any kind, saying how (required; audited with the comment)."""
    check_csrf(request, csrf_token)
    return _act(request, op, dash, alert_id, comment or why, "resolve")
