"""Alerts the rest of the hub raises on a device: facts refused by ingest, records not derived.

Fleet's own alerts follow the device's health (hub.fleet.engine.reconcile opens and resolves
them); these are opened and resolved by whoever raised them, one open alert per device and
kind (the `ux_alert_open` index), its message updated while it stays open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from hub.db import session_scope
from hub.fleet import alerts as desk

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The hub's clock."""
    return datetime.now(UTC)


class FleetAlerts:
    """hub.ingest.hooks.AlertSink on fleet's alert table (the hall's alert feed shows them)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    def raise_alert(
        self, hall: str, device: str, kind: str, message: str, severity: str = "error"
    ) -> None:
        """Raise the device's alert of this kind on the alert desk (one per incident: the open
        one is counted again and its message updated; a recent one is re-opened)."""
        for _attempt in range(3):
            try:
                with session_scope(self.engine) as session:
                    desk.raise_alert(
                        session,
                        hall=hall,
                        subject=device,
                        kind=kind,
                        now=self.clock(),
                        source="ingest",
                        severity=severity,
                        message=message,
                    )
                return
            except IntegrityError:  # another worker opened it at the same moment: count it
                continue

    def clear_alert(self, hall: str, device: str, kind: str) -> None:
        """Resolve the device's open alert of this kind, if there is one."""
        with session_scope(self.engine) as session:
            if desk.clear_alert(session, hall=hall, subject=device, kind=kind, now=self.clock()):
                logger.info("alert resolved: %s/%s %s", hall, device, kind)
