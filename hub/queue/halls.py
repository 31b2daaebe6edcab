"""A queue engine for a hall layout: its services, windows and closing times (QUEUE-5, QUEUE-6)."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from hub.queue.engine import CounterDef, QueueEngine, QueueSettings, ServiceDef
from hub.queue.model import ClosingTimes
from models.layout import Hall


def engine_for_hall(
    hall: Hall,
    settings: QueueSettings | None = None,
    weights: dict[str, dict[str, float]] | None = None,
) -> QueueEngine:
    """A queue engine for a hall layout; `weights` maps window -> service -> weight."""
    weights = weights or {}
    services = [
        ServiceDef(s.code, s.name, s.prefix, s.immediate, s.promised_days) for s in hall.services
    ]
    counters = [
        CounterDef(w.id, w.number, {s: weights.get(w.id, {}).get(s, 1.0) for s in w.services})
        for w in hall.windows
    ]
    if settings is None:
        settings = QueueSettings(tz=ZoneInfo(hall.timezone), closing=closing_times(hall))
    return QueueEngine(services, counters, settings)


def closing_times(hall: Hall) -> ClosingTimes:
    """When the hall stops issuing numbers (rule QUEUE-6): its `closing_time`, else with
    `seasonal_closing` the attendance policy's last stop time of each season (ATT-2)."""
    if hall.closing_time:
        return ClosingTimes(fixed=time.fromisoformat(hall.closing_time))
    if not hall.seasonal_closing:
        return ClosingTimes()
    from hub.attendance.policy import load_policy

    policy = load_policy(hall.attendance_policy, timezone=hall.timezone)
    last = policy.checkpoints[-1]
    return ClosingTimes(
        summer=last.target(summer=True),
        winter=last.target(summer=False),
        summer_start=policy.season.summer_start,
        winter_start=policy.season.winter_start,
    )
