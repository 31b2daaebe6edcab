"""Sessions, CSRF and roles: signed HttpOnly cookies, the /api guard, and role dependencies.

Every /api route except the PUBLIC ones needs a session; a state-changing request also needs the
session's CSRF token (header X-CSRF-Token, or form field csrf_token on dashboard pages) and a
role that MUTATION_RULES allows. Every successful change through /api is written to the audit
log (who, when, what, why: header X-Why).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import HTTPException, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from hub.api.errors import ErrorInfo, catalogue_words, wants_page
from hub.users.accounts import Operator, Role, audit, aware, utc_now
from hub.users.tables import UserAccount, UserSession

logger = logging.getLogger(__name__)

COOKIE = "hk_session"
CSRF_HEADER = "x-csrf-token"
SESSION_HOURS = 12
PUBLIC = frozenset({"/api/health", "/api/auth/login", "/api/queue/hall", "/api/queue/stream"})
"""The /api routes open without a session. The hall screen's page and its push stream show
only what the hall's LED screen shows every citizen (ticket numbers, windows, waiting counts:
QUEUE-4), so the screen's kiosk browser needs no operator account."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ANONYMOUS = Operator(0, "anonymous", Role.VIEWER)
"""Who acts when the app runs with authentication switched off (tests of other areas)."""

_ALL_BUT_VIEWER = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.DUTY_CHIEF, Role.WINDOW_LEAD})
_CHIEFS = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.DUTY_CHIEF})
_OFFICE = frozenset({Role.ADMIN, Role.SUPERVISOR})
MUTATION_RULES: tuple[tuple[re.Pattern[str], frozenset[Role]], ...] = tuple(
    (re.compile(pattern), roles)
    for pattern, roles in (
        (r"^/api/auth/", frozenset(Role)),
        (r"^/api/(users|staff)(/|$)", frozenset({Role.ADMIN})),
        (r"^/api/attendance/months/", _OFFICE),  # rule ATT-8: closing a month
        (r"^/api/attendance/corrections/\d+/", _OFFICE),  # rule ATT-6: review, revoke
        (r"^/api/attendance/(leaves/\d+/revoke|wages/)", _OFFICE),  # rules ATT-6, ATT-9
        (r"^/api/attendance/(corrections|leaves(/\d+/decision)?)$", _ALL_BUT_VIEWER),  # filed
        (r"^/api/attendance/", _CHIEFS),
        (r"^/api/compliance/[^/]+/(recompute)$", _OFFICE),
        (r"^/api/compliance/[^/]+/covers$", _ALL_BUT_VIEWER),
        (r"^/api/compliance/", _CHIEFS),  # rules POST-6, POST-8
        (r"^/api/duty/[^/]+/(roster|overtime|rotation|chief-standins|policy)", _OFFICE),  # DUTY-1
        (r"^/api/duty/", _CHIEFS),  # rules DUTY-2..4, POST-8, DEV-1
        (r"^/api/queue/", frozenset({Role.ADMIN, Role.DUTY_CHIEF, Role.WINDOW_LEAD})),
        (r"^/api/(alerts|opening-check)/", _CHIEFS),  # rule DEV-1
        (r"^/api/ratings/", _CHIEFS),  # rule RATE-3
        (r"^/api/complaints/settings$", _OFFICE),
        (r"^/api/complaints/\d+/", _CHIEFS),  # rule DUTY-6: investigated and answered
        (r"^/api/complaints", _ALL_BUT_VIEWER),  # taken down, citizens called back (DEV-4)
        (r"^/api/", _ALL_BUT_VIEWER),
    )
)
"""Who may change what, first match wins: a viewer never changes anything."""


def allowed_to_change(role: Role, path: str) -> bool:
    """Whether `role` may send a state-changing request to `path`."""
    for pattern, roles in MUTATION_RULES:
        if pattern.search(path):
            return role in roles
    return role is not Role.VIEWER


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A valid session: its operator and its CSRF token."""

    operator: Operator
    csrf: str


def _sign(secret: bytes, token: str) -> str:
    mac = hmac.new(secret, token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def cookie_value(secret: bytes, token: str) -> str:
    """The cookie for a session token: token.signature (HMAC-SHA256 with the secret key)."""
    return f"{token}.{_sign(secret, token)}"


def token_from_cookie(secret: bytes, value: str | None) -> str | None:
    """The session token in a cookie whose signature is right, else None."""
    if not value or "." not in value:
        return None
    token, sig = value.rsplit(".", 1)
    return token if hmac.compare_digest(sig, _sign(secret, token)) else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(engine: Engine, operator: Operator, ip: str) -> tuple[str, str]:
    """Start a session for `operator`: (token for the cookie, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utc_now()
    with Session(engine) as session:
        session.add(
            UserSession(
                token_hash=_token_hash(token),
                user_id=operator.id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + timedelta(hours=SESSION_HOURS),
                ip=ip[:64],
            )
        )
        session.commit()
    return token, csrf


def close_session(engine: Engine, token: str) -> None:
    """End a session (logout)."""
    with Session(engine) as session:
        session.execute(
            sa.delete(UserSession).where(col(UserSession.token_hash) == _token_hash(token))
        )
        session.commit()


def purge_sessions(engine: Engine, now: datetime | None = None) -> int:
    """Remove expired sessions; how many."""
    with Session(engine) as session:
        result = session.execute(
            sa.delete(UserSession).where(col(UserSession.expires_at) < (now or utc_now()))
        )
        session.commit()
        return int(getattr(result, "rowcount", 0) or 0)


def lookup_session(engine: Engine, token: str) -> SessionInfo | None:
    """The live session of a token (an active user's, not expired), else None."""
    with Session(engine) as session:
        row = session.get(UserSession, _token_hash(token))
        if row is None or aware(row.expires_at) <= utc_now():
            return None
        user = session.get(UserAccount, row.user_id)
        if user is None or not user.active or user.id is None:
            return None
        op = Operator(user.id, user.username, Role(user.role), user.staff_id)
        return SessionInfo(op, row.csrf_token)


def app_secret(request: Request) -> bytes:
    """The key that signs session cookies (set by create_app)."""
    secret: bytes = request.app.state.session_secret
    return secret


def auth_required(request: Request) -> bool:
    """Whether the app was built with authentication on."""
    return bool(getattr(request.app.state, "auth_required", True))


def session_of(request: Request) -> SessionInfo | None:
    """The request's session (from the /api guard, or read from the cookie), else None."""
    found: SessionInfo | None = getattr(request.state, "session", None)
    if found is not None:
        return found
    token = token_from_cookie(app_secret(request), request.cookies.get(COOKIE))
    if token is None:
        return None
    found = lookup_session(request.app.state.engine, token)
    if found is not None:
        request.state.session = found
        request.state.user = found.operator
    return found


def current_operator(request: Request) -> Operator:
    """The logged-in operator; 401 without a session (ANONYMOUS when auth is off)."""
    if not auth_required(request):
        return ANONYMOUS
    found = session_of(request)
    if found is None:
        raise HTTPException(401, "error.401")
    return found.operator


def require_roles(*roles: Role) -> Callable[[Request], Operator]:
    """A dependency that lets only these roles through (403 for others)."""
    allowed = frozenset(roles)

    def check(request: Request) -> Operator:
        op = current_operator(request)
        if op.role not in allowed:
            raise HTTPException(403, "forbidden")  # the catalogue's words: your role may not
        return op

    return check


def check_csrf(request: Request, submitted: str | None) -> None:
    """403 unless `submitted` (header or form field) is the session's CSRF token."""
    if not auth_required(request):
        return
    found = session_of(request)
    token = submitted or request.headers.get(CSRF_HEADER)
    if found is None or not token or not hmac.compare_digest(token, found.csrf):
        raise HTTPException(403, CSRF_REFUSED)


def bearer_token(request: Request) -> str | None:
    """The signed session token of an `Authorization: Bearer ...` header (the CLI's login)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def client_ip(scope: MutableMapping[str, Any]) -> str:
    """The peer address of a request."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


CSRF_REFUSED = "error.csrf"
"""The key of a change refused for its missing or wrong CSRF token (header X-CSRF-Token)."""


async def _reply(send: Send, status: int, key: str, request: Request) -> None:
    """A refusal named by a catalogue key: the error page for a browser, else JSON with the
    words in `detail` and the key in `code`."""
    if wants_page(request):  # a person's browser: the error page
        info = ErrorInfo(status=status, key=key)
        page = await run_in_threadpool(request.app.state.error_page, request, info)
        await page(request.scope, request.receive, send)
        return
    detail = catalogue_words(request, key, {}) or key
    body = json.dumps({"detail": detail, "code": key}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class ApiGuard:
    """ASGI middleware: a session for every /api route, CSRF + role for changes, audited."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        """Wrap the application."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, pass it on, and audit a successful change."""
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/") or path in PUBLIC:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        bearer = bearer_token(request)  # a program (the CLI): its own header, no CSRF needed
        signed = bearer or request.cookies.get(COOKIE)
        token = token_from_cookie(app_secret(request), signed)
        engine: Engine = request.app.state.engine
        found = await run_in_threadpool(lookup_session, engine, token) if token else None
        if found is None:
            await _reply(send, 401, "error.401", request)
            return
        method = scope["method"]
        change = method not in SAFE_METHODS
        if change and bearer is None:  # a browser sends cookies by itself: CSRF token needed
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent or not hmac.compare_digest(sent, found.csrf):
                await _reply(send, 403, CSRF_REFUSED, request)
                return
        if change and not allowed_to_change(found.operator.role, path):
            logger.info("role %s may not change %s", found.operator.role, path)
            await _reply(send, 403, "forbidden", request)  # the path is not echoed
            return
        state = scope.setdefault("state", {})
        state["session"], state["user"] = found, found.operator
        status: list[int] = []

        async def send_status(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        await self.app(scope, receive, send_status)
        if change and status and status[0] < 400:
            why = request.headers.get("x-why", "")
            await run_in_threadpool(
                audit,
                engine,
                actor=found.operator.username,
                action=f"{method} {path}",
                entity="api",
                entity_id=path,
                why=why,
            )


def session_secret(settings: object | None) -> bytes:
    """The cookie-signing key, derived from settings.secret_key (HK_SECRET_KEY).

    Without one (an API-only app in a test), a random key for this process is used: sessions
    then end when it stops.
    """
    key = getattr(settings, "secret_key", None)
    getter = getattr(key, "get_secret_value", None)
    raw = getter() if callable(getter) else key
    if not raw:
        logger.warning("no secret key: operator sessions last only as long as this process")
        return secrets.token_bytes(32)
    return hmac.new(str(raw).encode(), b"hallkeeper session cookies", hashlib.sha256).digest()
