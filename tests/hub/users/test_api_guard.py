"""The /api guard: a session for every route but health and login, CSRF and roles on changes,
every change audited; session cookies signed, HttpOnly, SameSite=Lax; logout and disabling end
sessions."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.dashboard.i18n import CATALOGUE
from hub.users.accounts import Role, audit_entries
from hub.users.security import (
    COOKIE,
    allowed_to_change,
    cookie_value,
    token_from_cookie,
)
from tests.support.auth import PASSWORD, full_app, log_in, logged_in, make_user


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_api_route_needs_a_login(sqlite_engine: Engine) -> None:
    app = full_app(sqlite_engine)
    client = TestClient(app)
    paths = {p: ops for p, ops in app.openapi()["paths"].items() if p.startswith("/api/")}
    assert len(paths) > 40  # every area's router is there
    open_ = set()
    for path, ops in paths.items():
        for method in ops:
            if path == "/api/queue/stream":
                continue  # the hall screen's endless push stream: public, like its page
            r = client.request(method.upper(), _concrete(path))
            if r.status_code != 401:
                open_.add((method.upper(), path, r.status_code))
    assert open_ == {
        ("GET", "/api/health", 200),
        ("POST", "/api/auth/login", 422),
        ("GET", "/api/queue/hall", 200),  # the hall screen (QUEUE-4): no personal data
    }


def test_session_cookie_flags_and_signature(sqlite_engine: Engine) -> None:
    app = full_app(sqlite_engine)
    client = TestClient(app)
    make_user(sqlite_engine, "li")
    r = client.post("/api/auth/login", json={"username": "li", "password": PASSWORD})
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    secret = app.state.session_secret
    value = client.cookies[COOKIE]
    token = token_from_cookie(secret, value)
    assert token is not None and cookie_value(secret, token) == value
    assert token_from_cookie(secret, value[:-2] + "xx") is None
    assert token_from_cookie(b"another key", value) is None
    forged = TestClient(app, cookies={COOKIE: token + ".AAAA"})
    assert forged.get("/api/devices").status_code == 401


def test_csrf_roles_and_audit(sqlite_engine: Engine) -> None:
    app = full_app(sqlite_engine)
    admin = logged_in(TestClient(app), sqlite_engine, Role.ADMIN)
    csrf = admin.headers.pop("X-CSRF-Token")
    assert admin.get("/api/devices").status_code == 200
    r = admin.post("/api/opening-check/run")
    assert r.status_code == 403 and r.json()["code"] == "error.csrf"
    r = admin.post("/api/opening-check/run", headers={"X-CSRF-Token": "nope"})
    assert r.status_code == 403
    r = admin.post(
        "/api/opening-check/run", headers={"X-CSRF-Token": csrf, "X-Why": "morning check"}
    )
    assert r.status_code == 200
    huge = admin.post("/api/alerts/9223372036854775808/resolve", headers={"X-CSRF-Token": csrf})
    assert huge.status_code == 404  # beyond the database's integers: not found, not a 500
    entry = audit_entries(sqlite_engine, actor="test-admin")[0]
    assert entry.action == "POST /api/opening-check/run" and entry.why == "morning check"

    viewer = logged_in(TestClient(app), sqlite_engine, Role.VIEWER)
    assert viewer.get("/api/alerts").status_code == 200
    r = viewer.post("/api/opening-check/run")
    assert r.status_code == 403 and r.json() == {"detail": "无权执行此操作", "code": "forbidden"}
    assert not audit_entries(sqlite_engine, actor="test-viewer")[:1] or all(
        e.action == "login" for e in audit_entries(sqlite_engine, actor="test-viewer")
    )


@pytest.mark.parametrize(
    ("role", "path", "allowed"),
    [
        (Role.VIEWER, "/api/queue/windows/w01/next", False),
        (Role.VIEWER, "/api/ratings/followups/1/contacted", False),
        (Role.VIEWER, "/api/anything/new", False),
        (Role.VIEWER, "/api/auth/logout", True),
        (Role.WINDOW_LEAD, "/api/queue/windows/w01/next", True),
        (Role.WINDOW_LEAD, "/api/attendance/leaves", True),
        (Role.WINDOW_LEAD, "/api/attendance/months/2026-11/close", False),
        (Role.SUPERVISOR, "/api/attendance/months/2026-11/close", True),
        (Role.DUTY_CHIEF, "/api/attendance/corrections", True),  # rule ATT-6: filed ...
        (Role.VIEWER, "/api/attendance/corrections", False),
        (Role.DUTY_CHIEF, "/api/attendance/corrections/3/review", False),  # ... office reviews
        (Role.SUPERVISOR, "/api/attendance/corrections/3/review", True),
        (Role.WINDOW_LEAD, "/api/attendance/corrections/3/revoke", False),
        (Role.DUTY_CHIEF, "/api/attendance/wages/s1", False),
        (Role.SUPERVISOR, "/api/attendance/wages/s1", True),
        (Role.DUTY_CHIEF, "/api/compliance/demo/covers/3/approve", True),
        (Role.WINDOW_LEAD, "/api/compliance/demo/covers/3/approve", False),
        (Role.SUPERVISOR, "/api/staff/enroll", False),
        (Role.ADMIN, "/api/staff/enroll", True),
        (Role.SUPERVISOR, "/api/users", False),
        (Role.ADMIN, "/api/users", True),
    ],
)
def test_who_may_change_what(role: Role, path: str, allowed: bool) -> None:
    assert allowed_to_change(role, path) is allowed


def test_user_admin_api_logout_and_disable_end_sessions(sqlite_engine: Engine) -> None:
    app = full_app(sqlite_engine)
    admin = logged_in(TestClient(app), sqlite_engine, Role.ADMIN)
    body: dict[str, Any] = {"username": "chen", "password": "chen-password-1", "role": "viewer"}
    assert admin.post("/api/users", json=body).status_code == 201
    assert admin.post("/api/users", json=body).status_code == 409
    chen = TestClient(app)
    log_in(chen, "chen", "chen-password-1")
    assert chen.get("/api/auth/me").json()["role"] == "viewer"
    assert chen.get("/api/users").status_code == 403  # admin only, even to read
    r = admin.post("/api/users/chen/disable", json={"why": "moved to another hall"})
    assert r.status_code == 200 and r.json()["active"] is False
    assert chen.get("/api/devices").status_code == 401
    assert admin.post("/api/users/test-admin/disable", json={}).status_code == 409
    users = {u["username"]: u["active"] for u in admin.get("/api/users").json()}
    assert users == {"test-admin": True, "chen": False}
    assert admin.post("/api/auth/logout").status_code == 204
    assert admin.get("/api/devices").status_code == 401
    whys = {e.action: e.why for e in audit_entries(sqlite_engine)}
    assert whys["user.disable"] == "moved to another hall"


def test_login_rate_limited_through_the_api(sqlite_engine: Engine) -> None:
    app = full_app(sqlite_engine)
    make_user(sqlite_engine, "qian")
    client = TestClient(app)
    codes = [
        client.post("/api/auth/login", json={"username": "qian", "password": "bad"}).status_code
        for _ in range(6)
    ]
    assert codes == [401] * 5 + [429]
    r = client.post("/api/auth/login", json={"username": "qian", "password": PASSWORD})
    assert r.status_code == 429 and r.json()["code"] == "login_locked"
    assert r.json()["detail"] == CATALOGUE["zh-CN"]["login_locked"]  # words, not English


def test_auth_switched_off_leaves_the_api_open(sqlite_engine: Engine) -> None:
    app = full_app(sqlite_engine, auth=False)
    client = TestClient(app)
    assert client.get("/api/devices").status_code == 200
    assert client.post("/api/auth/login", json={}).status_code == 404  # no accounts API
