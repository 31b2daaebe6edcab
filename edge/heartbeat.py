"""The heartbeat a device sends (rule DEV-1): health, versions, outbox, clock and temperature."""

from __future__ import annotations

import edge
from edge.clock import ClockState, read_cpu_temp
from edge.health import HealthBoard
from models import CONTRACT_VERSION
from models.events import MAX_HEALTH_NOTES, HealthNote, Heartbeat


def heartbeat_body(
    *,
    uptime_s: float,
    config_version: int | None,
    outbox_depth: int,
    outbox_capacity: int,
    clock: ClockState,
    health: HealthBoard,
    driver_status: str,
) -> Heartbeat:
    """One heartbeat: `faults` are the device's problems now (at most MAX_HEALTH_NOTES)."""
    problems = health.problems()[:MAX_HEALTH_NOTES]
    return Heartbeat(
        uptime_s=round(uptime_s, 3),
        agent_version=edge.__version__,
        contract_version=CONTRACT_VERSION,
        config_version=config_version,
        outbox_depth=outbox_depth,
        outbox_capacity=outbox_capacity,
        clock_offset_ms=clock.offset_ms,
        clock_synced=clock.synced,
        cpu_temp_c=read_cpu_temp(),
        driver_status=health.status(driver_status)[:64],
        faults=tuple(
            HealthNote(code=p.code, message=p.message, severity=p.severity) for p in problems
        ),
    )
