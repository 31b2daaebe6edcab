"""The dashboard's plumbing: templates, language, the logged-in operator, rendering a page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlmodel import Session

from hub.dashboard import rules, words
from hub.dashboard.i18n import COOKIE as LANG_COOKIE
from hub.dashboard.i18n import ROLE_NAMES, choose_lang, translator
from hub.fleet.alerts import unacknowledged
from hub.fleet.engine import FleetPolicy
from hub.problems import NotFoundProblem
from hub.queue.broadcast import Broadcaster
from hub.users.accounts import Operator, Role
from hub.users.security import ANONYMOUS, auth_required, session_of
from models.layout import Hall

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
STATIC = {
    "htmx.min.js": "text/javascript",
    "sse.min.js": "text/javascript",
    "dashboard.css": "text/css",
}
"""The files /static/dashboard/ serves (vendored htmx 2 + SSE extension, 0BSD; our CSS)."""

NAV: tuple[tuple[str, str], ...] = (
    ("/", "hallmap"),
    ("/devices", "devices"),
    ("/attendance", "attendance"),
    ("/compliance", "compliance"),
    ("/duty", "duty"),
    ("/ratings", "ratings"),
    ("/complaints", "complaints"),
    ("/queue", "queue"),
    ("/alerts", "alerts"),
    ("/dead-letters", "deadletters"),
    ("/audit", "audit"),
    ("/staff", "staff"),
    ("/months", "months"),
    ("/calendar", "calendar"),
    ("/accounts", "accounts"),
    ("/rules", "rules"),
)


@dataclass(slots=True)
class Dashboard:
    """What the pages work with, handed over by the area's setup()."""

    halls: list[Hall]
    clock: Callable[[], datetime]
    policy: FleetPolicy
    live: Broadcaster
    attendance: Any = None  # hub.attendance.api.AttendanceContext, when attendance is built
    ratings: bool = False
    extra_nav: list[str] = field(default_factory=list)

    def hall(self, hall_id: str | None) -> Hall:
        """The hall asked for (default the first); 404 for one this hub does not serve."""
        if not self.halls:
            raise NotFoundProblem("error.no_hall")
        if hall_id is None:
            return self.halls[0]
        for h in self.halls:
            if h.id == hall_id:
                return h
        raise NotFoundProblem("error.unknown_hall")  # the id is not echoed


class LoginRedirect(HTTPException):
    """Sends a browser without a session to the login page."""

    def __init__(self, next_path: str = "/") -> None:
        """Redirect to /login, coming back to `next_path` afterwards."""
        super().__init__(303, "login required", headers={"Location": f"/login?next={next_path}"})


def page_operator(request: Request) -> Operator:
    """The logged-in operator of a page request; redirect to /login without a session."""
    if not auth_required(request):
        return ANONYMOUS
    found = session_of(request)
    if found is None:
        raise LoginRedirect(request.url.path)
    return found.operator


def lang_of(request: Request) -> str:
    """The page language: ?lang=, else the cookie, else zh-CN."""
    return choose_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def local(at: datetime | None, zone: str = "Asia/Shanghai", fmt: str = "%m-%d %H:%M") -> str:
    """A time in the hall's zone, short."""
    return at.astimezone(ZoneInfo(zone)).strftime(fmt) if at is not None else ""


def window_name(halls: list[Hall], window: str | None) -> str:
    """What the hall calls a window (3号窗口), not its id; "" for none."""
    if not window:
        return ""
    for h in halls:
        for w in h.windows:
            if w.id == window:
                return w.called
    return window


def service_name(halls: list[Hall], code: str | None) -> str:
    """What the hall calls a service (不动产登记), not its code; "" for none."""
    if not code:
        return ""
    for h in halls:
        for s in h.services:
            if s.code == code:
                return s.name
    return code


def device_name(t: Callable[..., str], halls: list[Hall], device: str | None) -> str:
    """A device as an operator knows it: the layout's name for it, else its window and its kind
    (3号窗口 评价器), not its id."""
    for h in halls:
        for d in h.devices:
            if d.id == device:
                return d.name or " ".join(p for p in (window_name(halls, d.window), t(d.kind)) if p)
    return t("device.unknown")


def seat_name(halls: list[Hall], seat: str | None) -> str:
    """What the hall's layout calls a seat (1号窗口A岗), else its id; "" for none."""
    if not seat:
        return ""
    for h in halls:
        found = h.seat_name(seat)
        if found:
            return found
    return seat


def nav_badges(request: Request, op: Operator) -> dict[str, int]:
    """Counts shown beside navigation entries: alerts nobody has acknowledged yet."""
    if not op.id:
        return {}
    with Session(request.app.state.engine) as session:
        return {"alerts": unacknowledged(session)}


def render(
    request: Request, name: str, op: Operator, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """A page in the operator's language, with the CSRF token and the navigation."""
    lang = lang_of(request)
    found = session_of(request) if auth_required(request) else None
    dash: Dashboard | None = getattr(request.app.state, "dashboard", None)
    t = translator(lang)
    nav = [(href, key) for href, key in NAV if key != "ratings" or (dash and dash.ratings)]
    if op.role not in (Role.ADMIN, Role.SUPERVISOR):
        nav = [(href, key) for href, key in nav if key != "audit"]
    if op.role is not Role.ADMIN:
        nav = [(href, key) for href, key in nav if key != "accounts"]
    response = templates.TemplateResponse(
        request,
        name,
        {
            "t": t,
            "lang": lang,
            "other_lang": "en" if lang == "zh-CN" else "zh-CN",
            "op": op,
            "role_name": ROLE_NAMES[lang].get(op.role.value, op.role.value),
            "csrf": found.csrf if found else "",
            "nav": nav,
            "path": request.url.path,
            "local": local,
            "Markup": Markup,
            "alert_kind": partial(words.alert_kind, t),
            "audit_action": partial(words.audit_action, t),
            "changes": partial(words.change_words, t),
            "problem_reason": partial(words.problem_reason, t),
            "alert_message": partial(words.alert_message, t),
            "recipient": partial(words.recipient_words, t),
            "badges": nav_badges(request, op),
            "rule": partial(rules.rule_link, t),
            "rules_in": partial(rules.link_rules, t),
            "hall_name": {h.id: h.name for h in (dash.halls if dash else [])}.get,
            "window_name": partial(window_name, dash.halls if dash else []),
            "service_name": partial(service_name, dash.halls if dash else []),
            "device_name": partial(device_name, t, dash.halls if dash else []),
            "seat_name": partial(seat_name, dash.halls if dash else []),
            **context,
        },
        status_code=status,
    )
    response.headers["X-Frame-Options"] = "DENY"  # no clickjacking of the buttons
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    asked = request.query_params.get("lang")
    if asked:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response
