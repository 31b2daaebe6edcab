"""The duty area for the hub (hub.areas): its API, pages and background work."""

from __future__ import annotations

import logging

from hub.areas import AreaContext, AreaParts

logger = logging.getLogger(__name__)


def setup(ctx: AreaContext) -> AreaParts:
    """Plug the roster, the post ledger and the duty chief's work into the hub."""
    from hub.duty.api import router

    return AreaParts(name="duty", routers=[router])
