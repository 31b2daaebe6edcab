"""Heartbeat history: heartbeats are not facts (issue 21), so none is an event row.

A device's latest heartbeat is its health row (device_health); besides, one heartbeat per
`heartbeat_sample_s` (default 15 min) is kept in `heartbeat_sample` for the history, and rows
older than `heartbeat_retention_days` (default 30) are deleted (at most once an hour). Written
in the fleet projector's transaction.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from hub.dbtypes import aware
from hub.fleet.engine import FleetPolicy, HeartbeatValues, sample_due
from hub.fleet.tables import HeartbeatSample

SAMPLE: sa.Table = HeartbeatSample.__table__  # type: ignore[attr-defined]
PRUNE_EVERY_S = 3600.0
Key = tuple[str, str]


def sample_values(key: Key, hb: HeartbeatValues) -> dict[str, Any]:
    """The heartbeat_sample row of one heartbeat."""
    return {
        "hall": key[0],
        "device": key[1],
        "at": hb.at,
        "uptime_s": hb.uptime_s,
        "agent_version": hb.agent_version,
        "config_version": hb.config_version,
        "outbox_depth": hb.outbox_depth,
        "outbox_capacity": hb.outbox_capacity,
        "clock_offset_ms": hb.clock_offset_ms,
        "observed_skew_ms": hb.observed_skew_ms,
        "cpu_temp_c": hb.cpu_temp_c,
        "driver_status": hb.driver_status,
        "faults": [{"code": f.code, "message": f.message} for f in hb.faults],
    }


class HeartbeatHistory:
    """Keeps the downsampled heartbeat history of the devices one projector sees."""

    def __init__(self, policy: FleetPolicy) -> None:
        self.policy = policy
        self._last: dict[Key, datetime | None] = {}
        self._pruned = 0.0

    def keep(self, session: Session, beats: Sequence[tuple[Key, HeartbeatValues]]) -> int:
        """Store the heartbeats that are due for the history; how many were stored."""
        self._seed(session, {k for k, _ in beats if k not in self._last})
        rows = []
        for key, hb in sorted(beats, key=lambda kb: kb[1].at):
            if sample_due(self._last.get(key), hb.at, self.policy):
                rows.append(sample_values(key, hb))
                self._last[key] = hb.at
        if rows:
            session.connection().execute(sa.insert(SAMPLE), rows)
        return len(rows)

    def prune(self, session: Session, now: datetime) -> int:
        """Delete history past the retention (at most once an hour); rows deleted."""
        if time.monotonic() - self._pruned < PRUNE_EVERY_S and self._pruned:
            return 0
        self._pruned = time.monotonic()
        cutoff = now - timedelta(days=self.policy.heartbeat_retention_days)
        result = session.connection().execute(sa.delete(SAMPLE).where(SAMPLE.c.at < cutoff))
        return int(result.rowcount or 0)

    def _seed(self, session: Session, keys: set[Key]) -> None:
        """The latest stored sample of devices this projector has not seen yet."""
        for hall, device in sorted(keys):
            found = session.connection().execute(
                sa.select(sa.func.max(SAMPLE.c.at)).where(
                    SAMPLE.c.hall == hall, SAMPLE.c.device == device
                )
            )
            self._last[(hall, device)] = aware(found.scalar())
