"""The duty area for the hub (hub.areas): its API, its projector and its background work."""

from __future__ import annotations

import logging

from hub.areas import AreaContext, AreaParts

logger = logging.getLogger(__name__)


def setup(ctx: AreaContext) -> AreaParts:
    """Plug the roster, the post ledger and the duty chief's work into the hub."""
    from hub.duty import page_chief, page_forms, pages
    from hub.duty.api import router
    from hub.duty.ticker import DutyTicker
    from hub.duty.watch import SeatWatch

    watch = SeatWatch(ctx.halls, ctx.commands, ctx.clock)
    period = float(getattr(ctx.settings, "tick_s", 30.0) or 30.0)
    ticker = DutyTicker(ctx.engine, watch, ctx.clock, period_s=period)
    return AreaParts(
        name="duty",
        projectors=[watch],
        routers=[router, pages.router, page_forms.router, page_chief.router],
        background=[ticker],
        state={"duty_watch": watch, "duty_ticker": ticker},
    )
