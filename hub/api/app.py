"""create_app(): the hub's FastAPI application, built from what the caller hands in."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from hub.api.errors import catalogue_words, install_error_handlers
from hub.api.uploads import BodyLimit, keep_uploads_in_memory
from hub.commands import CommandSender
from hub.fleet.engine import FleetPolicy
from hub.fleet.projector import utc_now
from models.layout import Hall

LOGIN_PATH = "/api/auth/login"
"""The users area's login route; with authentication on, an app without it would lock all out."""

logger = logging.getLogger(__name__)


def create_app(
    *,
    engine: Engine,
    halls: Sequence[Hall] = (),
    policy: FleetPolicy | None = None,
    commands: CommandSender | None = None,
    routers: Sequence[APIRouter] = (),
    clock: Callable[[], datetime] = utc_now,
    settings: object | None = None,
    probes: Mapping[str, Callable[[], object]] | None = None,
    title: str = "hallkeeper hub",
    auth: bool | None = None,
    state: Mapping[str, Any] | None = None,
) -> FastAPI:
    """A new app on `engine`, with the fleet routes and each extra router; no globals.

    `probes` are shown by /api/health (e.g. broker connection, ingest counters).
    Authentication (hub.users: a session for every /api route but health and login) is on
    unless `auth` is False, or `auth` is None and `settings.auth_required` is False.
    """

    app = FastAPI(title=title, version="0.1.0")
    app.state.engine = engine
    app.state.halls = list(halls)
    app.state.fleet_policy = policy or FleetPolicy()
    app.state.commands = commands
    app.state.clock = clock
    app.state.settings = settings
    app.state.probes = dict(probes or {})
    for name, value in (state or {}).items():  # what the areas' routes look up (AreaParts.state)
        setattr(app.state, name, value)
    for router in routers:
        app.include_router(router)
    app.add_exception_handler(OverflowError, _id_out_of_range)
    install_error_handlers(app)  # pages for browsers (app.state.error_page), JSON for programs
    if auth is None:
        auth = bool(getattr(settings, "auth_required", True))
    app.state.auth_required = auth
    if auth:
        from hub.users.security import ApiGuard, session_secret

        served = {getattr(route, "path", "") for router in routers for route in router.routes}
        if LOGIN_PATH not in served:
            raise ValueError(f"authentication is on and nothing serves {LOGIN_PATH}: add hub.users")
        app.state.session_secret = session_secret(settings)
        app.add_middleware(ApiGuard)
    keep_uploads_in_memory()  # rule PRIV-1: no uploaded photo in an unencrypted temp file
    app.add_middleware(BodyLimit)
    return app


async def _id_out_of_range(request: Request, exc: Exception) -> JSONResponse:
    """A number beyond the database's integer range names nothing: 404, never a server error."""
    logger.info("number out of range in %s: %s", request.url.path, exc)
    detail = catalogue_words(request, "error.404", {}) or "error.404"
    return JSONResponse({"detail": detail, "code": "error.404"}, status_code=404)
