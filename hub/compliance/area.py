"""The compliance area for the hub: its projector, its API router and a live ticker."""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine

from hub.areas import AreaContext, AreaParts, Ticker
from hub.compliance.projector import CompliancePresence

logger = logging.getLogger(__name__)


class ComplianceTicker(Ticker):
    """Re-judges leaves in progress every `period_s` so live alerts fire while someone is away."""

    thread_name = "compliance-tick"

    def __init__(
        self, projector: CompliancePresence, engine: Engine, period_s: float = 30.0
    ) -> None:
        super().__init__(period_s)
        self.projector = projector
        self.engine = engine

    def round(self) -> None:
        """Re-judge the leaves in progress."""
        self.projector.tick(self.engine)


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
