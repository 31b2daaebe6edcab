"""Read the fact log back by position: what a projector lane catches up on, or retries.

Every stored fact has a position (`event.pos`) that increases in commit order
(hub.events.tables.FactCounter). A stored row becomes an Envelope again here; a row that no
longer parses is handed back with the reason, so the lane can report it instead of stopping.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.dbtypes import aware
from hub.events.tables import Event, FactCounter
from models.envelope import Envelope

EVENT = Event.__table__  # type: ignore[attr-defined]
COUNTER = FactCounter.__table__  # type: ignore[attr-defined]
_COLUMNS = (
    EVENT.c.pos,
    EVENT.c.event_id,
    EVENT.c.hall,
    EVENT.c.device,
    EVENT.c.seq,
    EVENT.c.type,
    EVENT.c.device_ts,
    EVENT.c.ts_offset_min,
    EVENT.c.synced,
    EVENT.c.received_at,
    EVENT.c.body,
)


@dataclass(frozen=True, slots=True)
class StoredFact:
    """One fact read back: its position, and its envelope (or why it cannot be read)."""

    pos: int
    event_id: str
    hall: str
    device: str
    received_at: datetime
    envelope: Envelope | None
    problem: str | None = None


def head(conn: Connection) -> int:
    """The last position allocated by a committed store transaction (0 for an empty log)."""
    value = conn.execute(sa.select(COUNTER.c.last_pos).where(COUNTER.c.id == 1)).scalar()
    return int(value or 0)


def envelope_from_row(row: Any) -> Envelope:
    """The Envelope a stored event row holds (device time in the offset it was sent with)."""
    offset = timezone(timedelta(minutes=int(row.ts_offset_min)))
    return Envelope.model_validate(
        {
            "id": row.event_id,
            "hall": row.hall,
            "device": row.device,
            "seq": row.seq,
            "ts": aware(row.device_ts).astimezone(offset),
            "synced": bool(row.synced),
            "type": row.type,
            "body": json.loads(row.body),
        }
    )


def _fact(row: Any) -> StoredFact:
    try:
        env: Envelope | None = envelope_from_row(row)
        problem = None
    except Exception as exc:  # a stored fact the current contract refuses: report it
        env, problem = None, f"stored fact unreadable: {type(exc).__name__}: {exc}"[:500]
    return StoredFact(
        int(row.pos), row.event_id, row.hall, row.device, aware(row.received_at), env, problem
    )


def read_facts(
    conn: Connection,
    after: int,
    upto: int,
    types: Iterable[str],
    *,
    limit: int = 1000,
    since: datetime | None = None,
) -> list[StoredFact]:
    """Facts of these types with after < pos <= upto, in position order (at most `limit`);
    `since` keeps those whose device time is not earlier."""
    query = (
        sa.select(*_COLUMNS)
        .where(EVENT.c.pos > after, EVENT.c.pos <= upto, EVENT.c.type.in_(sorted(set(types))))
        .order_by(EVENT.c.pos)
        .limit(limit)
    )
    if since is not None:
        query = query.where(EVENT.c.device_ts >= since.astimezone(UTC))
    return [_fact(row) for row in conn.execute(query)]


def facts_by_id(conn: Connection, event_ids: Sequence[str]) -> dict[str, StoredFact]:
    """Stored facts by event id (ids not stored are missing from the answer)."""
    if not event_ids:
        return {}
    query = sa.select(*_COLUMNS).where(EVENT.c.event_id.in_(list(event_ids)))
    return {row.event_id: _fact(row) for row in conn.execute(query)}
