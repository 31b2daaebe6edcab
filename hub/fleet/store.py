"""Reading and writing fleet health and alerts (the I/O around hub.fleet.engine)."""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from hub.db import session_scope
from hub.dbtypes import aware
from hub.fleet.alerts import REOPEN_WITHIN, auto_resolve, raise_alert
from hub.fleet.engine import (
    QUIET_KINDS,
    AlertChanges,
    DeviceSnapshot,
    Fault,
    FleetPolicy,
    Health,
    HeartbeatValues,
    conditions,
    reconcile,
)
from hub.fleet.tables import Alert, DeviceHealth, FleetDevice

logger = logging.getLogger(__name__)
T = TypeVar("T")
Key = tuple[str, str]
"""(hall, device)"""
CHUNK = 500
"""Devices per IN query."""


HEALTH: sa.Table = DeviceHealth.__table__  # type: ignore[attr-defined]
"""The device_health table, written in bulk (Core executemany) by the projector."""


def health_from_row(row: DeviceHealth | Mapping[str, Any] | None) -> Health:
    """The engine's view of a stored health row (an absent row is an unknown device)."""
    if row is None:
        return Health()
    r: Mapping[str, Any] = row if isinstance(row, Mapping) else row.model_dump()
    hb = None
    heartbeat_at = aware(r["heartbeat_at"])
    if heartbeat_at is not None:
        hb = HeartbeatValues(
            at=heartbeat_at,
            uptime_s=r["uptime_s"] or 0.0,
            agent_version=r["agent_version"] or "",
            contract_version=r["contract_version"] or 0,
            config_version=r["config_version"],
            outbox_depth=r["outbox_depth"] or 0,
            outbox_capacity=r["outbox_capacity"] or 1,
            clock_offset_ms=r["clock_offset_ms"],
            clock_synced=bool(r["clock_synced"]),
            cpu_temp_c=r["cpu_temp_c"],
            driver_status=r["driver_status"] or "ok",
            observed_skew_ms=r["observed_skew_ms"],
        )
    faults = {
        f["code"]: Fault(
            f["code"],
            f.get("message", ""),
            f.get("severity", "error"),
            via_heartbeat=f.get("via") == "heartbeat",
        )
        for f in (r["faults"] or [])
    }
    return Health(
        online=r["online"],
        state_at=aware(r["state_at"]),
        last_seen=aware(r["last_seen"]),
        heartbeat=hb,
        faults=faults,
        applied_config_version=r["applied_config_version"],
        applied_config_at=aware(r["applied_config_at"]),
        rejected_config_version=r["rejected_config_version"],
        rejected_config_reason=r["rejected_config_reason"],
    )


def health_values(health: Health) -> dict[str, Any]:
    """The device_health column values of a health (all but the key and updated_at)."""
    hb = health.heartbeat
    return {
        "online": health.online,
        "state_at": health.state_at,
        "last_seen": health.last_seen,
        "heartbeat_at": hb.at if hb else None,
        "uptime_s": hb.uptime_s if hb else None,
        "agent_version": hb.agent_version if hb else None,
        "contract_version": hb.contract_version if hb else None,
        "config_version": hb.config_version if hb else None,
        "outbox_depth": hb.outbox_depth if hb else None,
        "outbox_capacity": hb.outbox_capacity if hb else None,
        "clock_offset_ms": hb.clock_offset_ms if hb else None,
        "observed_skew_ms": hb.observed_skew_ms if hb else None,
        "clock_synced": hb.clock_synced if hb else None,
        "cpu_temp_c": hb.cpu_temp_c if hb else None,
        "driver_status": hb.driver_status if hb else None,
        "faults": [
            {"code": f.code, "message": f.message, "severity": f.severity}
            | ({"via": "heartbeat"} if f.via_heartbeat else {})
            for f in sorted(health.faults.values(), key=lambda f: f.code)
        ],
        "applied_config_version": health.applied_config_version,
        "applied_config_at": health.applied_config_at,
        "rejected_config_version": health.rejected_config_version,
        "rejected_config_reason": health.rejected_config_reason,
    }


def write_health(
    session: Session,
    items: Iterable[tuple[Key, Mapping[str, Any] | None, Health]],
    now: datetime,
) -> int:
    """Insert or update the health rows that changed, in bulk; return how many were written."""
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for (hall, device), old, health in items:
        values = health_values(health)
        if old is None:
            inserts.append({"hall": hall, "device": device, **values, "updated_at": now})
        elif any(old[k] != v for k, v in values.items()):
            updates.append({"k_hall": hall, "k_device": device, **values, "updated_at": now})
    conn = session.connection()
    if inserts:
        conn.execute(sa.insert(HEALTH), inserts)
    if updates:
        stmt = sa.update(HEALTH).where(
            HEALTH.c.hall == sa.bindparam("k_hall"), HEALTH.c.device == sa.bindparam("k_device")
        )
        conn.execute(stmt, updates)
    return len(inserts) + len(updates)


def _chunks(keys: Iterable[Key]) -> Iterator[tuple[str, list[str]]]:
    """(hall, devices) groups of at most CHUNK devices, for IN queries."""
    by_hall: dict[str, list[str]] = defaultdict(list)
    for hall, device in keys:
        by_hall[hall].append(device)
    for hall, devices in sorted(by_hall.items()):
        for i in range(0, len(devices), CHUNK):
            yield hall, devices[i : i + CHUNK]


def load_health(
    session: Session, keys: Iterable[Key], *, lock: bool = False
) -> dict[Key, dict[str, Any]]:
    """The stored health rows of these devices as plain dicts (absent devices are missing).

    With `lock`, PostgreSQL rows are locked until commit (SQLite serialises writers itself).
    """
    out: dict[Key, dict[str, Any]] = {}
    conn = session.connection()
    for hall, devices in _chunks(keys):
        q = sa.select(HEALTH).where(HEALTH.c.hall == hall, HEALTH.c.device.in_(devices))
        if lock and conn.dialect.name == "postgresql":
            # two ingest workers (shared subscription) may hold messages of one device
            q = q.order_by(HEALTH.c.device).with_for_update()
        out.update({(r["hall"], r["device"]): dict(r) for r in conn.execute(q).mappings()})
    return out


def load_open_alerts(session: Session, keys: Iterable[Key]) -> dict[Key, dict[str, Alert]]:
    """The open alerts of these devices, by device and kind."""
    out: dict[Key, dict[str, Alert]] = defaultdict(dict)
    for hall, devices in _chunks(keys):
        q = select(Alert).where(
            Alert.hall == hall, Alert.state == "open", col(Alert.device).in_(devices)
        )
        for a in session.exec(q).all():
            out[(a.hall, a.device)][a.kind] = a
    return out


def open_alerts(session: Session, hall: str, device: str) -> dict[str, Alert]:
    """The open alerts of one device, by kind."""
    return load_open_alerts(session, [(hall, device)]).get((hall, device), {})


def register_unknown(session: Session, keys: Iterable[Key], now: datetime) -> None:
    """Register devices first seen on the wire (not in any layout the hub loaded)."""
    keys = list(keys)
    known: set[Key] = set()
    for hall, devices in _chunks(keys):
        q = select(FleetDevice.device).where(
            FleetDevice.hall == hall, col(FleetDevice.device).in_(devices)
        )
        known.update((hall, d) for d in session.exec(q).all())
    for hall, device in keys:
        if (hall, device) not in known:
            session.add(FleetDevice(hall=hall, device=device, in_layout=False, registered_at=now))


def apply_alert_changes(
    session: Session,
    hall: str,
    device: str,
    open_now: dict[str, Alert],
    changes: AlertChanges,
    now: datetime,
    reopen_within: timedelta = REOPEN_WITHIN,
) -> None:
    """Raise the alerts to open (re-opening a recent one), resolve the cleared ones (auto)."""
    for kind in changes.resolve:
        auto_resolve(session, open_now[kind], now)
        logger.info("alert resolved: %s/%s %s", hall, device, kind)
    for cond in changes.open:
        raise_alert(
            session,
            hall=hall,
            subject=device,
            kind=cond.kind,
            now=now,
            severity=cond.severity,
            message=cond.message,
            reopen_within=reopen_within,
        )
        logger.warning("alert opened: %s/%s %s: %s", hall, device, cond.kind, cond.message)


def evaluate_alerts(
    session: Session,
    key: Key,
    health: Health,
    now: datetime,
    policy: FleetPolicy,
    open_now: dict[str, Alert],
    quiet: bool = False,
) -> AlertChanges:
    """Open and resolve a device's alerts so they match its conditions at `now`.

    In quiet hours (rule DEV-2: devices switched off at night) no offline/inactive alert opens.
    """
    held = QUIET_KINDS if quiet else frozenset()
    changes = reconcile(open_now.keys(), conditions(health, now, policy), held)
    if changes.open or changes.resolve:
        within = timedelta(seconds=policy.reopen_within_s)
        apply_alert_changes(session, key[0], key[1], open_now, changes, now, within)
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


def with_retry(engine: Engine, work: Callable[[Session], T], attempts: int = 10) -> T:
    """Run `work` in a transaction; retry when a concurrent writer got there first."""
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(engine) as session:
                if engine.dialect.name == "sqlite":
                    # pysqlite starts the transaction only at the first write, so a read-modify-
                    # write would race another writer: take the write lock before reading
                    conn = session.connection()
                    if not getattr(conn.connection.dbapi_connection, "in_transaction", True):
                        conn.exec_driver_sql("BEGIN IMMEDIATE")
                return work(session)
        except (IntegrityError, OperationalError) as exc:
            if attempt == attempts:
                raise
            logger.info("fleet write conflicted (%s); retrying", type(exc).__name__)
            time.sleep(random.uniform(0.001, 0.01 * attempt))
    raise AssertionError("unreachable")
