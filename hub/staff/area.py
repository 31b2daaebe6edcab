"""The staff area: gallery projector and /api/staff router (loaded by hub.areas)."""

from __future__ import annotations

import logging

from hub.areas import AreaContext, AreaParts
from hub.staff.crypto import FaceKeyError, master_key
from hub.staff.gallery_sync import ErasureRetry, GalleryProjector, GallerySync
from hub.staff.terminal_enroll import TerminalEnrollment

logger = logging.getLogger(__name__)


def setup(ctx: AreaContext) -> AreaParts:
    """Wire the staff area into the hub; without a face key, enrollment answers 503."""
    from hub.staff.api import make_router

    try:
        key: bytes | None = master_key()
    except FaceKeyError as exc:
        logger.warning("face enrollment disabled: %s", exc)
        key = None
    sync = GallerySync(ctx.engine, key, ctx.halls, ctx.commands, ctx.clock)
    at_terminals = TerminalEnrollment(sync)
    return AreaParts(
        name="staff",
        projectors=[GalleryProjector(sync), at_terminals],
        routers=[make_router(sync, at_terminals)],
        background=[ErasureRetry(sync)] if key is not None else [],  # rule PRIV-1
        state={"staff_sync": sync},
    )
