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
from sqlmodel import select
from sqlmodel.sql.expression import SelectOfScalar

from hub.db import session_scope
from hub.fleet.tables import Alert

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
        """Open the device's alert of this kind, or update the message of the open one."""
        for _attempt in range(3):
            try:
                with session_scope(self.engine) as session:
                    alert = session.exec(self._open(hall, device, kind)).first()
                    if alert is None:
                        alert = Alert(
                            hall=hall,
                            device=device,
                            kind=kind,
                            severity=severity,
                            state="open",
                            opened_at=self.clock(),
                        )
                        logger.warning("alert opened: %s/%s %s: %s", hall, device, kind, message)
                    alert.message = message[:500]
                    session.add(alert)
                return
            except IntegrityError:  # another worker opened it at the same moment: update it
                continue

    def clear_alert(self, hall: str, device: str, kind: str) -> None:
        """Resolve the device's open alert of this kind, if there is one."""
        with session_scope(self.engine) as session:
            for alert in session.exec(self._open(hall, device, kind)).all():
                alert.state = "resolved"
                alert.resolved_at = self.clock()
                alert.resolved_by = "auto"
                session.add(alert)
                logger.info("alert resolved: %s/%s %s", hall, device, kind)

    @staticmethod
    def _open(hall: str, device: str, kind: str) -> SelectOfScalar[Alert]:
        return select(Alert).where(
            Alert.hall == hall, Alert.device == device, Alert.kind == kind, Alert.state == "open"
        )
