"""Read the fact tables: events, dead letters, device sequences and gaps (aware UTC datetimes)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.dbtypes import aware
from hub.events.tables import DeadLetter, DeviceSequence, Event, SequenceGap

EVENT = Event.__table__  # type: ignore[attr-defined]
DEAD = DeadLetter.__table__  # type: ignore[attr-defined]
SEQ = DeviceSequence.__table__  # type: ignore[attr-defined]
GAP = SequenceGap.__table__  # type: ignore[attr-defined]


def _rows(engine: Engine, query: Any, time_cols: tuple[str, ...]) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    for row in rows:
        for col in time_cols:
            row[col] = aware(row[col])
    return rows


def count_events(engine: Engine, *, hall: str | None = None) -> tuple[int, int]:
    """(rows, distinct event ids) in the event table, optionally of one hall."""
    query = sa.select(sa.func.count(), sa.func.count(sa.distinct(EVENT.c.event_id)))
    if hall is not None:
        query = query.where(EVENT.c.hall == hall)
    with engine.connect() as conn:
        rows, distinct = conn.execute(query).one()
    return int(rows), int(distinct)


def events(
    engine: Engine,
    *,
    hall: str | None = None,
    device: str | None = None,
    types: tuple[str, ...] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Stored events in device-time order, filtered by hall, device, type and device time."""
    query = sa.select(EVENT).order_by(EVENT.c.device_ts, EVENT.c.event_id)
    if hall is not None:
        query = query.where(EVENT.c.hall == hall)
    if device is not None:
        query = query.where(EVENT.c.device == device)
    if types:
        query = query.where(EVENT.c.type.in_(types))
    if since is not None:
        query = query.where(EVENT.c.device_ts >= since.astimezone(UTC))
    if until is not None:
        query = query.where(EVENT.c.device_ts < until.astimezone(UTC))
    if limit is not None:
        query = query.limit(limit)
    return _rows(engine, query, ("device_ts", "received_at"))


def dead_letters(
    engine: Engine,
    *,
    limit: int = 100,
    since: datetime | None = None,
    device: str | None = None,
    code: str | None = None,
) -> list[dict[str, Any]]:
    """The newest dead letters first, from `since`, of one device, of one reason code."""
    query = sa.select(DEAD).order_by(DEAD.c.id.desc()).limit(limit)
    if since is not None:
        query = query.where(DEAD.c.received_at >= since.astimezone(UTC))
    if device is not None:
        query = query.where(DEAD.c.device == device)
    if code is not None:
        query = query.where(DEAD.c.code == code)
    return _rows(engine, query, ("received_at",))


def dead_letter_counts(engine: Engine, *, since: datetime | None = None) -> dict[str, int]:
    """Dead letters by reason code (hub.ingest.reasons; rows stored without one: `other`)."""
    code = sa.func.coalesce(DEAD.c.code, "other")
    query = sa.select(code, sa.func.count()).group_by(code)
    if since is not None:
        query = query.where(DEAD.c.received_at >= since.astimezone(UTC))
    with engine.connect() as conn:
        return {str(c): int(n) for c, n in conn.execute(query)}


def device_sequences(engine: Engine, *, hall: str | None = None) -> list[dict[str, Any]]:
    """Each device's highest seq and gap counts."""
    query = sa.select(SEQ).order_by(SEQ.c.hall, SEQ.c.device)
    if hall is not None:
        query = query.where(SEQ.c.hall == hall)
    return _rows(engine, query, ("updated_at",))


def sequence_gaps(
    engine: Engine, *, hall: str | None = None, device: str | None = None, open_only: bool = False
) -> list[dict[str, Any]]:
    """Detected gaps (open first-seen order); `open_only` keeps those still missing seqs."""
    query = sa.select(GAP).order_by(GAP.c.hall, GAP.c.device, GAP.c.from_seq)
    if hall is not None:
        query = query.where(GAP.c.hall == hall)
    if device is not None:
        query = query.where(GAP.c.device == device)
    if open_only:
        query = query.where(GAP.c.filled_at.is_(None))
    return _rows(engine, query, ("detected_at", "filled_at"))
