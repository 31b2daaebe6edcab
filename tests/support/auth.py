"""Log a test client in: make an operator account and open a session with it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from hub.users.accounts import Role, create_user

PASSWORD = "test-password-123"
"""The password of every account these helpers make (tests only)."""


def make_user(engine: Engine, username: str = "tester", role: Role | str = Role.ADMIN) -> str:
    """Create an operator with PASSWORD; its username."""
    create_user(engine, username=username, password=PASSWORD, role=role, actor="test")
    return username


def log_in(client: Any, username: str, password: str = PASSWORD) -> str:
    """Log `client` (TestClient or httpx.Client) in and send the CSRF token from now on."""
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    csrf = str(r.json()["csrf_token"])
    client.headers["X-CSRF-Token"] = csrf
    return csrf


def logged_in(client: Any, engine: Engine, role: Role | str = Role.ADMIN) -> Any:
    """Make a user with `role` and log `client` in as them; returns the client."""
    log_in(client, make_user(engine, f"test-{Role(role).value}", role))
    return client
