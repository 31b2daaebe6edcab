"""The hub's alert desk as ingest's AlertSink: refused facts, records not derived from a fact.

Fleet's own alerts follow the device's health (hub.fleet.engine.reconcile opens and resolves
them); these are raised and cleared by ingest through the desk (hub.fleet.alerts): one
incident per device and kind, counted while open, worded from the catalogue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from hub.db import session_scope
from hub.fleet import alerts

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The hub's clock."""
    return datetime.now(UTC)


class FleetAlerts:
    """hub.ingest.hooks.AlertSink on the alert desk (the hall's alert feed shows them)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    def raise_alert(
        self, hall: str, device: str, kind: str, *, words: str, values: Mapping[str, Any]
    ) -> None:
        """Raise the device's incident of this kind (again: counted, its values updated)."""
        for _attempt in range(3):
            try:
                with session_scope(self.engine) as session:
                    alerts.raise_alert(
                        session,
                        hall=hall,
                        subject=device,
                        kind=kind,
                        now=self.clock(),
                        severity="error",
                        message=f"{words} {dict(values)}"[:500],
                        words=words,
                        values=values,
                    )
                return
            except IntegrityError:  # another worker opened it at the same moment: count it
                continue

    def clear_alert(self, hall: str, device: str, kind: str) -> None:
        """Resolve the device's open incident of this kind, if there is one."""
        with session_scope(self.engine) as session:
            alerts.clear_alert(session, hall=hall, subject=device, kind=kind, now=self.clock())
