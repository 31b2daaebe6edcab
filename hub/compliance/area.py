"""The compliance area for the hub: its projector, its API router and a live ticker."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine

from hub.areas import AreaContext, AreaParts
from hub.compliance.projector import CompliancePresence

logger = logging.getLogger(__name__)


class ComplianceTicker:
    """Re-judges leaves in progress every `period_s` so live alerts fire while someone is away."""

    def __init__(
        self, projector: CompliancePresence, engine: Engine, period_s: float = 30.0
    ) -> None:
        self.projector = projector
        self.engine = engine
        self.period_s = period_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> ComplianceTicker:
        """Start the timer thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="compliance-tick", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                self.projector.tick(self.engine)
            except Exception:
                logger.exception("compliance tick failed")

    def stop(self) -> None:
        """Stop the timer; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def setup(ctx: AreaContext) -> AreaParts:
    """Plug compliance into the hub (hub.areas)."""
    from hub.compliance.api import router

    projector = CompliancePresence(ctx.halls, ctx.commands, clock=ctx.clock)
    return AreaParts(
        name="compliance",
        projectors=[projector],
        routers=[router],
        background=[ComplianceTicker(projector, ctx.engine)],
    )
