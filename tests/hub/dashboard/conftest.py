"""A dashboard app on a migrated SQLite file with every built area, clients per role."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.users.accounts import Role
from tests.support.auth import PASSWORD, full_app, make_user


def form_login(client: TestClient, username: str, password: str, next_path: str = "/") -> Any:
    """Log in through the login form as a browser does (GET the form, POST it back)."""
    page = client.get(f"/login?next={next_path}").text
    match = re.search(r'name="login_csrf" value="([^"]+)"', page)
    assert match, page
    data = {"username": username, "password": password, "next": next_path}
    return client.post("/login", data={**data, "login_csrf": match.group(1)})


@pytest.fixture
def app(sqlite_engine: Engine) -> Any:
    """The hub's app with the dashboard."""
    return full_app(sqlite_engine)


@pytest.fixture
def browser_as(app: Any, sqlite_engine: Engine) -> Callable[[Role], TestClient]:
    """A client logged in through the login form as a new user with a role; .csrf is set."""

    def make(role: Role) -> TestClient:
        name = make_user(sqlite_engine, f"u-{role.value}", role)
        client = TestClient(app, follow_redirects=False)
        r = form_login(client, name, PASSWORD)
        assert r.status_code == 303, r.text
        me = client.get("/api/auth/me").json()
        client.csrf = me["csrf_token"]
        return client

    return make
