"""The dashboard area for the hub (hub.areas): its pages and the live feed that drives them."""

from __future__ import annotations

import importlib.util
import logging

from fastapi import APIRouter, Depends, Request

from hub.areas import AreaContext, AreaParts
from hub.dashboard.live import LiveFeed
from hub.dashboard.web import Dashboard

logger = logging.getLogger(__name__)


def _attendance(ctx: AreaContext) -> object | None:
    """An attendance context judging each hall's staff by its policy (as hub.attendance.area)."""
    try:
        from hub.attendance.api import AttendanceContext
        from hub.attendance.area import with_roster
    except ImportError:
        return None
    _projector, workflow = with_roster(ctx)  # the roster says who is expected
    return AttendanceContext(workflow)


def setup(ctx: AreaContext) -> AreaParts:
    """Build the dashboard on the hub's engine, halls and clock."""
    from hub.dashboard import (
        accounts_page,
        alert_pages,
        attendance,
        calendar_page,
        covers_page,
        deadletters,
        months_page,
        records,
        routes,
        rule_pages,
        staff_page,
    )

    feed = LiveFeed()
    policy = ctx.settings.fleet_policy() if hasattr(ctx.settings, "fleet_policy") else None
    if policy is None:
        from hub.fleet.engine import FleetPolicy

        policy = FleetPolicy()
    dash = Dashboard(
        halls=list(ctx.halls),
        clock=ctx.clock,
        policy=policy,
        live=feed.broadcaster,
        attendance=_attendance(ctx),
        ratings=importlib.util.find_spec("hub.ratings.reports") is not None,
    )

    def attach(request: Request) -> None:
        request.app.state.dashboard = dash

    router = APIRouter(dependencies=[Depends(attach)])
    router.include_router(routes.router)
    router.include_router(records.router)
    router.include_router(attendance.router)
    router.include_router(rule_pages.router)
    router.include_router(alert_pages.router)
    router.include_router(calendar_page.router)
    router.include_router(accounts_page.router)
    router.include_router(staff_page.router)
    router.include_router(months_page.router)
    router.include_router(covers_page.router)
    router.include_router(deadletters.router)
    from hub.dashboard.errors import error_page
    from hub.dashboard.webhook import from_settings

    robot = from_settings(ctx.engine, list(ctx.halls), ctx.settings)
    return AreaParts(
        name="dashboard",
        projectors=[feed],
        routers=[router],
        background=[calendar_page.CalendarWatch(ctx.engine, list(ctx.halls), ctx.clock)]
        + ([robot] if robot else []),
        state={"error_page": error_page},
    )
