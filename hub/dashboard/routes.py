"""The dashboard's pages: login, the live hall map (SSE), devices, alerts, queue, audit."""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from hub.dashboard import views
from hub.dashboard.charts import bar_chart
from hub.dashboard.glance import glance
from hub.dashboard.i18n import translator
from hub.dashboard.live import alerts_version, changes
from hub.dashboard.web import HERE, STATIC, Dashboard, lang_of, page_operator, render
from hub.users.accounts import Operator, Role, audit, audit_entries
from hub.users.security import ANONYMOUS, auth_required, check_csrf, current_operator

logger = logging.getLogger(__name__)
PageOp = Annotated[Operator, Depends(page_operator)]
CHIEFS = (Role.ADMIN, Role.SUPERVISOR, Role.DUTY_CHIEF)


def dash_of(request: Request) -> Dashboard:
    """The dashboard the area set up."""
    dash: Dashboard = request.app.state.dashboard
    return dash


DashDep = Annotated[Dashboard, Depends(dash_of)]
router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a local path is a place to return to after login."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/static/dashboard/{name}")
def static_file(name: str) -> FileResponse:
    """The vendored scripts and the stylesheet."""
    if name not in STATIC:
        raise HTTPException(404, "error.404")
    return FileResponse(
        HERE / "static" / name,
        media_type=STATIC[name],
        headers={"Cache-Control": "public, max-age=3600"},
    )


LOGIN_CSRF = "hk_login_csrf"
"""Double-submit cookie of the login form (a login is a change too: no login CSRF)."""


def _login_form(
    request: Request, next_path: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        ANONYMOUS,
        {"next": safe_next(next_path), "error": error, "login_csrf": token},
        status=status,
    )
    response.set_cookie(LOGIN_CSRF, token, max_age=3600, httponly=True, samesite="strict")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    """The login form."""
    return _login_form(request, next)


@router.post("/login", response_class=HTMLResponse, response_model=None)
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form()] = "/",
    login_csrf: Annotated[str, Form()] = "",
) -> Response:
    """Check the credentials (rate-limited); on success set the session cookie and go on."""
    from hub.users.api import login_operator

    if not auth_required(request):
        return RedirectResponse(safe_next(next), status_code=303)
    cookie = request.cookies.get(LOGIN_CSRF, "")
    if not cookie or not hmac.compare_digest(cookie, login_csrf):
        return _login_form(request, next, translator(lang_of(request))("login_expired"), 403)
    response = RedirectResponse(safe_next(next), status_code=303)
    try:
        login_operator(request, response, username, password)
    except HTTPException as exc:
        t = translator(lang_of(request))
        error = t("login_locked") if exc.status_code == 429 else t("login_failed")
        return _login_form(request, next, error, exc.status_code)
    response.delete_cookie(LOGIN_CSRF)
    return response


@router.post("/logout")
def logout_submit(
    request: Request, csrf_token: Annotated[str | None, Form()] = None
) -> RedirectResponse:
    """End the session (needs the CSRF token)."""
    from hub.users.api import logout_operator

    check_csrf(request, csrf_token)
    op = current_operator(request)
    response = RedirectResponse("/login", status_code=303)
    logout_operator(request, response)
    audit(request.app.state.engine, actor=op.username, action="logout", entity="user")
    return response


def _queue_of(request: Request, hall_id: str) -> Any:
    try:
        from hub.queue.service import find_queue

        return find_queue(request.app.state, hall_id)
    except (ImportError, KeyError):
        return None


def _map_context(request: Request, dash: Dashboard, hall: str | None) -> dict[str, Any]:
    h = dash.hall(hall)
    now = dash.clock()
    engine = request.app.state.engine
    queue = _queue_of(request, h.id)
    data = views.hall_map(engine, h, now, dash.policy, queue.snapshot() if queue else None)
    figures = glance(engine, data, queue.glance() if queue else None, ratings=dash.ratings)
    return {"map": data, "glance": figures, "halls": dash.halls, "live_hall": h.id}


@router.get("/", response_class=HTMLResponse)
def hall_page(request: Request, op: PageOp, dash: DashDep, hall: str | None = None) -> HTMLResponse:
    """The live hall map: windows, seats, who is on post, away timers, queue, devices."""
    return render(request, "hallmap.html", op, _map_context(request, dash, hall))


@router.get("/fragments/hallmap", response_class=HTMLResponse)
def hall_fragment(
    request: Request, op: PageOp, dash: DashDep, hall: str | None = None
) -> HTMLResponse:
    """The hall map alone (HTMX swaps it in when the SSE stream says it changed)."""
    return render(request, "_hallmap.html", op, _map_context(request, dash, hall))


@router.get("/live/stream")
async def live_stream(request: Request, dash: DashDep, hall: str | None = None) -> Any:
    """Server-sent events: `hallmap` whenever a device event or queue change touches the hall."""
    current_operator(request)  # 401 without a session
    h = dash.hall(hall)
    feeds = [dash.live]
    try:
        from hub.queue.service import find_queue

        feeds.append(find_queue(request.app.state, h.id).broadcaster)
    except (ImportError, KeyError):
        pass
    engine = request.app.state.engine

    async def alert_version() -> object:
        return await run_in_threadpool(alerts_version, engine)

    stream = changes(feeds, h.id, request.is_disconnected, alert_version=alert_version)
    return EventSourceResponse(stream, ping=15)


@router.get("/devices", response_class=HTMLResponse)
def devices_page(request: Request, op: PageOp, dash: DashDep) -> HTMLResponse:
    """Device health: online/offline, last seen, versions, backlog, skew, alerts, DEV-1."""
    data = views.device_health(request.app.state.engine, dash.halls, dash.clock(), dash.policy)
    t = translator(lang_of(request))
    chart = bar_chart(
        [(t(s), float(data["counts"].get(s, 0))) for s in ("online", "inactive", "offline")]
        + [(t("unknown"), float(data["counts"].get("unknown", 0)))],
        title=t("status"),
        colors=("#2a9d6f", "#d9822b", "#c23030", "#8a8a8a"),
    )
    return render(
        request,
        "devices.html",
        op,
        {**data, "chart": chart, "can_check": op.role in CHIEFS, "zone": dash.halls[0].timezone},
    )


@router.post("/devices/opening-check")
def opening_check_now(
    request: Request, op: PageOp, dash: DashDep, csrf_token: Annotated[str | None, Form()] = None
) -> RedirectResponse:
    """Run the opening check now (rule DEV-1; duty chief, supervisor, admin; audited)."""
    from hub.fleet.service import run_opening_check

    check_csrf(request, csrf_token)
    if op.role not in CHIEFS:
        raise HTTPException(403, "forbidden.chiefs")
    for h in dash.halls:
        report = run_opening_check(request.app.state.engine, h, dash.clock(), dash.policy)
        audit(
            request.app.state.engine,
            actor=op.username,
            action="opening_check.run",
            entity="hall",
            entity_id=h.id,
            after={"ok": getattr(report, "ok", None)},
        )
    return RedirectResponse("/devices", status_code=303)


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, op: PageOp, dash: DashDep, day: str | None = None) -> HTMLResponse:
    """Queue statistics of a day: totals, per service and window, waits per hour (chart)."""
    h = dash.hall(None)
    the_day = views.parse_day(day, views.local_day(dash.clock(), h))
    result: dict[str, Any] | None = None
    try:
        from hub.queue.api import queue_stats
        from hub.queue.service import find_queue

        result = queue_stats(find_queue(request.app.state, h.id), the_day, the_day, 30)
    except (ImportError, KeyError):
        result = None
    t = translator(lang_of(request))
    chart = ""
    if result:
        chart = bar_chart(
            [
                (g["key"].split(" ")[-1], round((g["mean_wait_s"] or 0) / 60, 1))
                for g in result["by_hour"]
            ],
            title=t("waits_per_hour"),
        )
    return render(
        request,
        "queue.html",
        op,
        {
            "stats": result,
            "day": the_day,
            "chart": chart,
            "snapshot": queue.snapshot() if (queue := _queue_of(request, h.id)) else None,
            "services": {s.code: s.name for s in h.services},
            "windows": h.window_names(),
        },
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, op: PageOp, dash: DashDep, actor: str | None = None
) -> HTMLResponse:
    """The audit log: who changed what, when and why (admin, supervision office)."""
    if op.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise HTTPException(403, "forbidden.audit")
    rows = audit_entries(request.app.state.engine, limit=300, actor=actor or None)
    return render(
        request,
        "audit.html",
        op,
        {
            "rows": rows,
            "zone": dash.hall(None).timezone,
        },
    )


def redirect_with(path: str, **params: str | date) -> RedirectResponse:
    """A 303 to `path` with query parameters."""
    query = "&".join(f"{k}={quote(str(v))}" for k, v in params.items())
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)
