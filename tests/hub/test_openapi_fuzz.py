"""Schemathesis against the hub's OpenAPI (every area, auth on): no server errors for a logged-in
admin, and no access at all without a login (401 everywhere but health and login).

The number of examples per operation is bounded so the run stays short.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy.engine import Engine

from hub.users.security import COOKIE, PUBLIC
from tests.support.auth import full_app, log_in, make_user

KNOWN_5XX: dict[str, str] = {}
"""Server errors this fuzzing found in the attendance area (reported to its owner); skipped
until fixed, so that the rest stays guarded. Remove an entry once its operation is fixed."""

SKIP_LOGGED_IN = ("/api/auth/logout",)
"""Operations that would end the fuzzing session itself."""


@pytest.fixture
def hub_app(sqlite_engine: Engine) -> Any:
    """The hub's app on a fresh SQLite file (a copy of the migrated one), with an admin logged
    in (app.state.fuzz_login)."""
    app = full_app(sqlite_engine)
    client = TestClient(app)
    csrf = log_in(client, make_user(sqlite_engine, "fuzz-admin"))
    app.state.fuzz_login = {"cookies": {COOKIE: client.cookies[COOKIE]}, "csrf": csrf}
    return app


def operations(app: Any) -> list[Any]:
    """Every operation of the app's OpenAPI spec but the server-sent-event streams (endless)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    ops = [result.ok() for result in schema.get_all_operations()]
    return [op for op in ops if not op.path.endswith("/stream")]


FUZZ = settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
    suppress_health_check=list(HealthCheck),
)


def fuzz(op: Any, check: Callable[[Any], None], examples: int) -> None:
    """Run `check` on up to `examples` generated cases of one operation."""

    @given(case=op.as_strategy())
    @settings(FUZZ, max_examples=examples)
    def run(case: Any) -> None:
        check(case)

    run()


def test_no_server_errors_when_logged_in(hub_app: Any) -> None:
    login = hub_app.state.fuzz_login
    ops = [
        op
        for op in operations(hub_app)
        if op.path not in SKIP_LOGGED_IN and f"{op.method.upper()} {op.path}" not in KNOWN_5XX
    ]
    assert len(ops) > 40

    def check(case: Any) -> None:
        headers = {**(case.headers or {}), "X-CSRF-Token": login["csrf"]}
        case.call_and_validate(
            headers=headers, cookies=login["cookies"], checks=[not_a_server_error]
        )

    failures: dict[str, str] = {}
    for op in ops:
        try:
            fuzz(op, check, FUZZ.max_examples)
        except Exception as exc:  # one operation's failure must not hide the others'
            failures[f"{op.method.upper()} {op.path}"] = str(exc).splitlines()[0][:300]
    assert failures == {}


def test_nothing_without_a_login(hub_app: Any) -> None:
    seen: list[tuple[str, str, int]] = []

    def check(case: Any) -> None:
        response = case.call()
        seen.append((case.method.upper(), case.path, response.status_code))
        if case.path in PUBLIC:
            assert response.status_code < 500
        else:
            assert response.status_code == 401, seen[-1]

    for op in operations(hub_app):
        fuzz(op, check, 2)
    assert {path for _, path, code in seen if code != 401} <= PUBLIC
    assert len({(m, p) for m, p, _ in seen}) > 60
