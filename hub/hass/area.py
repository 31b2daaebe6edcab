"""The Home Assistant area: off unless the setting `ha_discovery` (HK_HA_DISCOVERY) is true.

When on, the hub publishes retained discovery documents under `ha_prefix` (default
`homeassistant`) at start (background task: once per deployment, not in ingest-only workers)
and, from ingest, each device's state on `hallkeeper/ha/{hall}/{device}/{key}`.
"""

from __future__ import annotations

from hub.areas import AreaContext, AreaParts
from hub.hass.bridge import HassBridge


def setup(ctx: AreaContext) -> AreaParts:
    """Nothing when disabled; else the bridge as projector and background task."""
    settings = ctx.settings
    if settings is None or not getattr(settings, "ha_discovery", False):
        return AreaParts(name="hass")
    bridge = HassBridge(
        settings.broker(),
        settings.client_id,
        settings.ha_prefix,
        ctx.halls,
    )
    return AreaParts(name="hass", projectors=[bridge], background=[bridge])
