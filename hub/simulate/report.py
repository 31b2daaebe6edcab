"""What the hub stored and derived after a simulated day, read from its database."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

DERIVED = {
    "attendance days": "att_day",
    "punches judged": "att_punch",
    "away periods": "compliance_away",
    "violations": "compliance_violation",
    "queue tickets": "queue_ticket",
    "services finished": "queue_ticket WHERE state = 'done'",
    "ratings": "rating",
    "rating follow-ups": "rating_followup",
    "fleet alerts": "alert",
    "roster entries": "duty_roster_entry",
    "duty alerts": "alert WHERE source = 'duty'",
}
"""Derived records the summary counts: label -> table (and condition)."""


@dataclass(slots=True)
class Stored:
    """Counts read from the hub's database."""

    facts: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    per_device: dict[str, int] = field(default_factory=dict)
    dead_letters: int = 0
    gaps: int = 0
    derived: dict[str, int] = field(default_factory=dict)


def _count(conn: sa.Connection, table: str) -> int:
    try:
        with conn.begin_nested():
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    except sa.exc.DBAPIError:  # that area is not part of this build
        return -1


def stored_facts(engine: Engine) -> int:
    """Facts (events other than heartbeats) in the event table."""
    with engine.connect() as conn:
        q = sa.text("SELECT count(*) FROM event WHERE type <> 'heartbeat'")
        return int(conn.execute(q).scalar_one())


def read_stored(engine: Engine) -> Stored:
    """Everything the summary needs from the database."""
    out = Stored()
    with engine.connect() as conn:
        for etype, n in conn.execute(
            sa.text("SELECT type, count(*) FROM event GROUP BY type ORDER BY type")
        ):
            out.by_type[str(etype)] = int(n)
        for hall, device, n in conn.execute(
            sa.text(
                "SELECT hall, device, count(DISTINCT seq) FROM event "
                "WHERE type <> 'heartbeat' GROUP BY hall, device"
            )
        ):
            out.per_device[f"{hall}/{device}"] = int(n)
        out.facts = sum(out.per_device.values())
        out.dead_letters = _count(conn, "dead_letter")
        out.gaps = _count(conn, "sequence_gap")
        out.derived = {label: _count(conn, table) for label, table in DERIVED.items()}
    return out


def not_delivered(sent: dict[str, int], stored: Stored) -> int:
    """Facts devices recorded (sequence numbers 1..last) that the event table does not hold,
    wherever they are: still in an outbox, or lost on the way."""
    return sum(max(0, n - stored.per_device.get(key, 0)) for key, n in sent.items())


def fact_log_head(engine: Engine) -> int:
    """The fact log's last allocated position (hub.events.tables.FactCounter)."""
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT last_pos FROM fact_counter WHERE id = 1")).scalar()
    return int(found or 0)


def parked_facts(engine: Engine) -> int:
    """Facts a durable projector failed on and will retry (projector_retry)."""
    with engine.connect() as conn:
        return _count(conn, "projector_retry")


def lost(sent: dict[str, int], left: dict[str, int], stored: Stored) -> int:
    """Facts devices recorded (sequence numbers 1..last), minus those still in their outbox,
    that the event table does not hold."""
    return sum(
        max(0, n - left.get(key, 0) - stored.per_device.get(key, 0)) for key, n in sent.items()
    )
