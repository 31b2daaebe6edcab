"""Reading and writing fleet health and alerts (the I/O around hub.fleet.engine)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from hub.db import session_scope
from hub.fleet.engine import (
    AlertChanges,
    DeviceSnapshot,
    Fault,
    FleetPolicy,
    Health,
    HeartbeatValues,
    conditions,
    reconcile,
)
from hub.fleet.tables import Alert, DeviceHealth, FleetDevice, aware

logger = logging.getLogger(__name__)
T = TypeVar("T")


def health_from_row(row: DeviceHealth | None) -> Health:
    """The engine's view of a stored health row (an absent row is an unknown device)."""
    if row is None:
        return Health()
    hb = None
    heartbeat_at = aware(row.heartbeat_at)
    if heartbeat_at is not None:
        hb = HeartbeatValues(
            at=heartbeat_at,
            uptime_s=row.uptime_s or 0.0,
            agent_version=row.agent_version or "",
            contract_version=row.contract_version or 0,
            config_version=row.config_version,
            outbox_depth=row.outbox_depth or 0,
            outbox_capacity=row.outbox_capacity or 1,
            clock_offset_ms=row.clock_offset_ms,
            clock_synced=bool(row.clock_synced),
            cpu_temp_c=row.cpu_temp_c,
            driver_status=row.driver_status or "ok",
            observed_skew_ms=row.observed_skew_ms,
        )
    faults = {
        f["code"]: Fault(f["code"], f.get("message", ""), f.get("severity", "error"))
        for f in (row.faults or [])
    }
    return Health(
        online=row.online,
        state_at=aware(row.state_at),
        last_seen=aware(row.last_seen),
        heartbeat=hb,
        faults=faults,
        applied_config_version=row.applied_config_version,
        applied_config_at=aware(row.applied_config_at),
        rejected_config_version=row.rejected_config_version,
        rejected_config_reason=row.rejected_config_reason,
    )


def write_health(row: DeviceHealth, health: Health, now: datetime) -> None:
    """Copy the engine's health values onto a row."""
    row.online = health.online
    row.state_at = health.state_at
    row.last_seen = health.last_seen
    hb = health.heartbeat
    if hb is not None:
        row.heartbeat_at = hb.at
        row.uptime_s = hb.uptime_s
        row.agent_version = hb.agent_version
        row.contract_version = hb.contract_version
        row.config_version = hb.config_version
        row.outbox_depth = hb.outbox_depth
        row.outbox_capacity = hb.outbox_capacity
        row.clock_offset_ms = hb.clock_offset_ms
        row.observed_skew_ms = hb.observed_skew_ms
        row.clock_synced = hb.clock_synced
        row.cpu_temp_c = hb.cpu_temp_c
        row.driver_status = hb.driver_status
    row.faults = [
        {"code": f.code, "message": f.message, "severity": f.severity}
        for f in sorted(health.faults.values(), key=lambda f: f.code)
    ]
    row.applied_config_version = health.applied_config_version
    row.applied_config_at = health.applied_config_at
    row.rejected_config_version = health.rejected_config_version
    row.rejected_config_reason = health.rejected_config_reason
    row.updated_at = now


def open_alerts(session: Session, hall: str, device: str) -> dict[str, Alert]:
    """The open alerts of one device, by kind."""
    rows = session.exec(
        select(Alert).where(Alert.hall == hall, Alert.device == device, Alert.state == "open")
    ).all()
    return {a.kind: a for a in rows}


def apply_alert_changes(
    session: Session,
    hall: str,
    device: str,
    open_now: dict[str, Alert],
    changes: AlertChanges,
    now: datetime,
) -> None:
    """Insert the alerts to open, mark the ones to resolve as resolved automatically."""
    for kind in changes.resolve:
        alert = open_now[kind]
        alert.state = "resolved"
        alert.resolved_at = now
        alert.resolved_by = "auto"
        session.add(alert)
        logger.info("alert resolved: %s/%s %s", hall, device, kind)
    for cond in changes.open:
        session.add(
            Alert(
                hall=hall,
                device=device,
                kind=cond.kind,
                severity=cond.severity,
                message=cond.message[:500],
                state="open",
                opened_at=now,
            )
        )
        logger.warning("alert opened: %s/%s %s: %s", hall, device, cond.kind, cond.message)


def ensure_device(session: Session, hall: str, device: str, now: datetime) -> None:
    """Register a device first seen on the wire (not in any layout the hub loaded)."""
    if session.get(FleetDevice, (hall, device)) is None:
        session.add(FleetDevice(hall=hall, device=device, in_layout=False, registered_at=now))


def save_and_evaluate(
    session: Session,
    hall: str,
    device: str,
    row: DeviceHealth | None,
    health: Health,
    now: datetime,
    policy: FleetPolicy,
) -> None:
    """Store a device's new health and bring its alerts in line with it."""
    if row is None:
        row = DeviceHealth(hall=hall, device=device)
    write_health(row, health, now)
    session.add(row)
    evaluate_alerts(session, hall, device, health, now, policy)


def evaluate_alerts(
    session: Session, hall: str, device: str, health: Health, now: datetime, policy: FleetPolicy
) -> AlertChanges:
    """Open and resolve a device's alerts so they match its conditions at `now`."""
    current = open_alerts(session, hall, device)
    changes = reconcile(current.keys(), conditions(health, now, policy))
    apply_alert_changes(session, hall, device, current, changes, now)
    return changes


def snapshots(session: Session, hall: str | None = None) -> list[DeviceSnapshot]:
    """Every known device with its health (registered or seen), optionally of one hall."""
    q = select(FleetDevice, DeviceHealth).join(
        DeviceHealth,
        (col(DeviceHealth.hall) == col(FleetDevice.hall))
        & (col(DeviceHealth.device) == col(FleetDevice.device)),
        isouter=True,
    )
    if hall is not None:
        q = q.where(FleetDevice.hall == hall)
    return [
        DeviceSnapshot(dev.hall, dev.device, dev.kind, health_from_row(h))
        for dev, h in session.exec(q.order_by(col(FleetDevice.hall), col(FleetDevice.device)))
    ]


def with_retry(engine: Engine, work: Callable[[Session], T], attempts: int = 3) -> T:
    """Run `work` in a transaction; retry when a concurrent writer got there first."""
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(engine) as session:
                return work(session)
        except (IntegrityError, OperationalError) as exc:
            if attempt == attempts:
                raise
            logger.info("fleet write conflicted (%s); retrying", type(exc).__name__)
    raise AssertionError("unreachable")
