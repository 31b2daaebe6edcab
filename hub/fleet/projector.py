"""FleetProjector: turns ingested heartbeats, state messages and device events into health."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.fleet import engine as fleet
from hub.fleet.engine import Fault, FleetPolicy, Health, HeartbeatValues
from hub.fleet.history import HeartbeatHistory
from hub.fleet.store import (
    evaluate_alerts,
    health_from_row,
    load_health,
    load_open_alerts,
    register_unknown,
    with_retry,
    write_health,
)
from hub.ingest.hooks import DeviceState, IngestBatch
from models.envelope import Envelope
from models.events import ConfigApplied, ConfigRejected, DeviceFault, EventType, Heartbeat

logger = logging.getLogger(__name__)
DEFAULT_TZ = "Asia/Shanghai"
"""The zone of a hall the fleet was not told about."""


def utc_now() -> datetime:
    """The hub's clock (aware UTC)."""
    return datetime.now(UTC)


def heartbeat_values(env: Envelope, received_at: datetime) -> HeartbeatValues:
    """The fleet's view of a heartbeat envelope received at `received_at`."""
    hb = env.body
    assert isinstance(hb, Heartbeat)
    return HeartbeatValues(
        at=received_at,
        uptime_s=hb.uptime_s,
        agent_version=hb.agent_version,
        contract_version=hb.contract_version,
        config_version=hb.config_version,
        outbox_depth=hb.outbox_depth,
        outbox_capacity=hb.outbox_capacity,
        clock_offset_ms=hb.clock_offset_ms,
        clock_synced=hb.clock_synced,
        cpu_temp_c=hb.cpu_temp_c,
        driver_status=hb.driver_status,
        observed_skew_ms=(env.ts - received_at).total_seconds() * 1000.0,
        faults=tuple(Fault(f.code, f.message, f.severity) for f in hb.faults),
    )


def fault_message(fault: DeviceFault) -> str:
    """The fault's reason; repeats coalesced on the device (edge/faults.py) say how many."""
    if fault.count <= 1 or fault.first_at is None or fault.last_at is None:
        return fault.message
    span = f"{fault.first_at:%H:%M:%S}–{fault.last_at:%H:%M:%S}"
    return f"{fault.message} (×{fault.count}, {span})"[:500]


def apply_event(health: Health, env: Envelope, received_at: datetime) -> Health:
    """Fold one envelope into a device's health: every event means the device was seen."""
    body = env.body
    if env.type is EventType.HEARTBEAT:
        return fleet.apply_heartbeat(health, heartbeat_values(env, received_at))
    health = fleet.seen(health, received_at)
    if isinstance(body, DeviceFault):  # rule DEV-4
        return fleet.apply_fault(health, body.code, fault_message(body), body.severity, body.active)
    if isinstance(body, ConfigApplied):
        return fleet.apply_config_applied(health, body.version, received_at)
    if isinstance(body, ConfigRejected):
        return fleet.apply_config_rejected(health, body.version, body.reason)
    return health


class FleetProjector:
    """A Projector keeping device health and alerts up to date from each ingested batch."""

    name = "fleet"

    def __init__(
        self,
        policy: FleetPolicy | None = None,
        clock: Callable[[], datetime] = utc_now,
        timezones: Mapping[str, str] | None = None,
    ) -> None:
        self.policy = policy or FleetPolicy()
        self.clock = clock
        self.timezones = dict(timezones or {})
        """Hall id -> time zone, for quiet hours (default DEFAULT_TZ)."""
        self.history = HeartbeatHistory(self.policy)
        self.closing = threading.Event()
        """Set when the devices are being switched off on purpose (a clean stop of the demo)."""

    def quiet(self, hall: str, now: datetime) -> bool:
        """Is it quiet time in this hall (rule DEV-2), or are its devices being switched off?"""
        if self.closing.is_set():
            return True
        return fleet.in_quiet_hours(
            now, ZoneInfo(self.timezones.get(hall, DEFAULT_TZ)), self.policy
        )

    def project(self, engine: Engine, batch: IngestBatch) -> None:
        """Apply the batch's events (first) and state messages (last) per device, then alerts."""
        received = batch.received_at or self.clock()
        events: dict[tuple[str, str], list[Envelope]] = defaultdict(list)
        states: dict[tuple[str, str], list[DeviceState]] = defaultdict(list)
        for env in (*batch.events, *batch.heartbeats):
            events[(env.hall, env.device)].append(env)
        for st in batch.states:
            states[(st.hall, st.device)].append(st)
        keys = sorted(set(events) | set(states))
        if not keys:
            return

        def work(session: Session) -> None:
            now = self.clock()
            rows = load_health(session, keys, lock=True)
            alerts = load_open_alerts(session, keys)
            register_unknown(session, keys, now)
            items = []
            beats: list[tuple[tuple[str, str], HeartbeatValues]] = []
            for key in keys:
                row = rows.get(key)
                health = health_from_row(row)
                for env in events.get(key, ()):
                    health = apply_event(health, env, received)
                    if env.type is EventType.HEARTBEAT:
                        beats.append((key, heartbeat_values(env, received)))
                for st in states.get(key, ()):
                    health = fleet.apply_state(health, st.online, st.received_at)
                items.append((key, row, health))
                quiet = self.quiet(key[0], now)
                evaluate_alerts(session, key, health, now, self.policy, alerts[key], quiet)
            write_health(session, items, now)
            self.history.keep(session, beats)  # heartbeats are no event rows (issue 21)
            self.history.prune(session, now)

        with_retry(engine, work)
        logger.debug("fleet projected %d device(s)", len(keys))
