"""The users area for the hub (hub.areas): sweeps expired sessions and old login attempts.

Also the accounts router (login, logout, users, audit), unless authentication is switched off
(settings.auth_required false: then no account can be listed or made over the API). The /api
guard is part of the app itself (hub.api.app.create_app), which refuses to run with
authentication on and no login route, so no /api route is ever served unguarded. A core area:
every hub loads it (hub.areas.CORE_AREAS).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.engine import Engine

from hub.areas import AreaContext, AreaParts, Ticker

logger = logging.getLogger(__name__)


class SessionSweeper(Ticker):
    """Every `period_s`, removes expired sessions and login attempts older than a day."""

    thread_name = "users-sweep"

    def __init__(self, engine: Engine, period_s: float = 600.0) -> None:
        """Sweep `engine` every `period_s` seconds."""
        super().__init__(period_s)
        self.engine = engine

    def round(self) -> tuple[int, int]:
        """One sweep (the ticker's round)."""
        return self.sweep()

    def sweep(self) -> tuple[int, int]:
        """One sweep: (sessions removed, attempts removed)."""
        from hub.users.accounts import purge_attempts, utc_now
        from hub.users.security import purge_sessions

        now = utc_now()
        return purge_sessions(self.engine, now), purge_attempts(self.engine, now - timedelta(1))


def setup(ctx: AreaContext) -> AreaParts:
    """The session sweeper, and the accounts router unless authentication is switched off."""
    from hub.users.api import router

    auth = bool(getattr(ctx.settings, "auth_required", True))
    return AreaParts(
        name="users", routers=[router] if auth else [], background=[SessionSweeper(ctx.engine)]
    )
