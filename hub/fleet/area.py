"""The fleet area for the hub (hub.areas): its API (devices, alerts, opening check, health).

The fleet's projector and tick are the hub's own (hub.server: every hub has a fleet); this
area plugs in its routes the way every area does.
"""

from __future__ import annotations

from hub.areas import AreaContext, AreaParts


def setup(ctx: AreaContext) -> AreaParts:
    """The fleet router."""
    from hub.fleet.api import router

    return AreaParts(name="fleet", routers=[router])
