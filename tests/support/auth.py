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


def full_app(engine: Engine, *, clock: Any = None, auth: bool = True, more: Any = ()) -> Any:
    """The hub's app on `engine` with every built area (as HubServer makes it), no broker; the
    demo hall first, then the halls `more`."""
    from pathlib import Path

    from hub.api.app import create_app
    from hub.areas import AreaContext, load_areas
    from hub.commands import RecordingSender
    from hub.fleet.engine import FleetPolicy
    from hub.fleet.projector import utc_now
    from hub.fleet.service import FleetService
    from models.layout import load_hall

    hall = load_hall(Path(__file__).resolve().parents[2] / "firmware_cfg" / "halls" / "demo")
    halls = [hall, *more]
    clock = clock or utc_now
    FleetService(engine, halls, FleetPolicy(), clock=clock).sync()
    from types import SimpleNamespace

    settings = SimpleNamespace(auth_required=auth)  # the users area serves accounts only with auth
    ctx = AreaContext(
        engine=engine, halls=halls, commands=RecordingSender(), clock=clock, settings=settings
    )
    parts = load_areas(ctx)
    app = create_app(
        engine=engine,
        halls=halls,
        commands=ctx.commands,
        routers=[r for p in parts for r in p.routers],
        clock=clock,
        auth=auth,
        state={k: v for p in parts for k, v in p.state.items()},
    )
    app.state.projectors = [p for part in parts for p in part.projectors]
    return app
