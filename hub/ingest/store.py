"""Write one ingest batch in one transaction: events (idempotent), dead letters, sequence gaps."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from hub.events.tables import (
    DEAD_LETTER_MAX_BYTES,
    DEAD_LETTER_MAX_REASON,
    DEAD_LETTER_MAX_TOPIC,
    DeadLetter,
    DeviceSequence,
    Event,
    SequenceGap,
)
from hub.ingest.sequence import DeviceTrack, Gap, advance
from models.envelope import Envelope

logger = logging.getLogger(__name__)

EVENT = Event.__table__  # type: ignore[attr-defined]
DEAD = DeadLetter.__table__  # type: ignore[attr-defined]
SEQ = DeviceSequence.__table__  # type: ignore[attr-defined]
GAP = SequenceGap.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class DeadRow:
    """A refused message, ready to be stored as a dead letter."""

    topic: str
    reason: str
    payload: bytes
    received_at: datetime


@dataclass(slots=True)
class StoreResult:
    """What one batch changed: the envelopes that were new, and the sequence bookkeeping."""

    new: list[Envelope] = field(default_factory=list)
    duplicates: int = 0
    dead_letters: int = 0
    gaps_opened: int = 0
    gaps_filled: int = 0
    unexpected_seqs: int = 0


def _insert(conn: Connection, table: sa.Table) -> Any:
    """A dialect INSERT that supports ON CONFLICT DO NOTHING (SQLite and PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


EVENT_COLUMNS = (
    "event_id",
    "hall",
    "device",
    "seq",
    "type",
    "device_ts",
    "ts_offset_min",
    "synced",
    "received_at",
    "body",
)
"""Column order of the rows `event_values` builds."""
_CHUNK_ROWS = 1000


def event_values(env: Envelope, received_at: datetime) -> tuple[Any, ...]:
    """The `event` row of an envelope, in EVENT_COLUMNS order (device time in UTC)."""
    offset = env.ts.utcoffset()
    return (
        env.id,
        env.hall,
        env.device,
        env.seq,
        env.type.value,
        env.ts.astimezone(UTC),
        int(offset.total_seconds() // 60) if offset else 0,
        env.synced,
        received_at,
        env.body.model_dump_json(),
    )


def _dead_row(dead: DeadRow) -> dict[str, Any]:
    return {
        "received_at": dead.received_at,
        "topic": dead.topic[:DEAD_LETTER_MAX_TOPIC],
        "reason": dead.reason[:DEAD_LETTER_MAX_REASON],
        "payload": bytes(dead.payload[:DEAD_LETTER_MAX_BYTES]),
        "size": len(dead.payload),
    }


def _sqlite_ts(value: datetime) -> str:
    """A timestamp as SQLAlchemy stores DateTime on SQLite: naive UTC, always microseconds."""
    if value.utcoffset():
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _insert_returning_new(conn: Connection, rows: list[tuple[Any, ...]]) -> set[str]:
    """Multi-row INSERT ... ON CONFLICT (event_id) DO NOTHING RETURNING event_id.

    The hot path of ingest, written as one driver statement per 1000 rows: SQLAlchemy's
    per-row parameter processing cost more than the database did. Same SQL on both dialects;
    SQLite gets its timestamps as the naive-UTC strings SQLAlchemy itself would store.
    """
    sqlite_style = conn.dialect.name == "sqlite"
    mark = "?" if sqlite_style else "%s"
    one = "(" + ",".join([mark] * len(EVENT_COLUMNS)) + ")"
    head = f"INSERT INTO event ({','.join(EVENT_COLUMNS)}) VALUES "
    tail = " ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
    inserted: set[str] = set()
    for start in range(0, len(rows), _CHUNK_ROWS):
        part = rows[start : start + _CHUNK_ROWS]
        params: list[Any] = []
        if sqlite_style:
            received: dict[datetime, str] = {}  # one receive time per batch: format it once
            for row in part:
                when = received.get(row[8]) or received.setdefault(row[8], _sqlite_ts(row[8]))
                params.extend((*row[:5], _sqlite_ts(row[5]), row[6], int(row[7]), when, row[9]))
        else:
            for row in part:
                params.extend(row)
        result = conn.exec_driver_sql(head + ",".join([one] * len(part)) + tail, tuple(params))
        inserted.update(r[0] for r in result)
    return inserted


def insert_events(
    conn: Connection, envelopes: Sequence[Envelope], received_at: datetime
) -> list[Envelope]:
    """Append envelopes, dropping ids already stored; return the ones actually inserted."""
    unique: dict[str, Envelope] = {}
    for env in envelopes:
        unique.setdefault(env.id, env)
    if not unique:
        return []
    inserted = _insert_returning_new(
        conn, [event_values(env, received_at) for env in unique.values()]
    )
    return [env for env in unique.values() if env.id in inserted]


def _load_tracks(
    conn: Connection, keys: list[tuple[str, str]], now: datetime
) -> dict[tuple[str, str], tuple[DeviceTrack, dict[str, Any]]]:
    """Lock (PostgreSQL) and read the sequence rows of `keys`, creating the missing ones."""
    stmt = _insert(conn, SEQ).on_conflict_do_nothing(index_elements=["hall", "device"])
    conn.execute(
        stmt,
        [
            {
                "hall": h,
                "device": d,
                "last_seq": 0,
                "facts": 0,
                "gaps_open": 0,
                "gaps_total": 0,
                "missing_open": 0,
                "resets": 0,
                "updated_at": now,
            }
            for h, d in keys
        ],
    )
    query = (
        sa.select(SEQ)
        .where(sa.tuple_(SEQ.c.hall, SEQ.c.device).in_(keys))
        .order_by(SEQ.c.hall, SEQ.c.device)
        .with_for_update()
    )
    tracks = {}
    for row in conn.execute(query).mappings():
        last = row["last_seq"] if row["facts"] or row["resets"] else None
        tracks[(row["hall"], row["device"])] = (DeviceTrack(last_seq=last), dict(row))
    return tracks


def _load_gaps(
    conn: Connection,
    keys: list[tuple[str, str]],
    tracks: dict[tuple[str, str], tuple[DeviceTrack, dict[str, Any]]],
) -> None:
    """Read the open gaps of devices whose batch reaches back below their highest seq."""
    if not keys:
        return
    query = (
        sa.select(GAP)
        .where(sa.tuple_(GAP.c.hall, GAP.c.device).in_(keys), GAP.c.filled_at.is_(None))
        .order_by(GAP.c.from_seq)
    )
    for row in conn.execute(query).mappings():
        tracks[(row["hall"], row["device"])][0].gaps.append(
            Gap(row["from_seq"], row["to_seq"], row["missing"], id=row["id"])
        )


def update_sequences(
    conn: Connection, facts: Sequence[Envelope], now: datetime, result: StoreResult
) -> None:
    """Advance each device's sequence with its new facts; open and fill gaps."""
    seqs: dict[tuple[str, str], list[int]] = defaultdict(list)
    for env in facts:
        seqs[(env.hall, env.device)].append(env.seq)
    if not seqs:
        return
    keys = sorted(seqs)
    tracks = _load_tracks(conn, keys, now)
    reaching_back = [
        k
        for k in keys
        if tracks[k][0].last_seq is not None and min(seqs[k]) <= (tracks[k][0].last_seq or 0)
    ]
    _load_gaps(conn, reaching_back, tracks)
    new_gaps: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    seq_rows: list[dict[str, Any]] = []
    for key in keys:
        track, row = tracks[key]
        advance(track, seqs[key])
        hall, device = key
        new_gaps += [
            {
                "hall": hall,
                "device": device,
                "from_seq": g.from_seq,
                "to_seq": g.to_seq,
                "missing": g.missing,
                "detected_at": now,
                "filled_at": None,
            }
            for g in track.new_gaps
        ]
        changed += [
            {"gap_id": g.id, "missing": max(g.missing, 0), "filled_at": now if g.filled else None}
            for g in track.gaps
            if g.changed
        ]
        seq_rows.append(
            {
                "k_hall": hall,
                "k_device": device,
                "last_seq": track.last_seq if track.last_seq is not None else 0,
                "facts": row["facts"] + len(seqs[key]),
                "gaps_open": row["gaps_open"] + len(track.new_gaps) - track.filled,
                "gaps_total": row["gaps_total"] + len(track.new_gaps),
                "missing_open": row["missing_open"]
                + sum(g.missing for g in track.new_gaps)
                - track.late,
                "resets": row["resets"] + track.resets,
                "updated_at": now,
            }
        )
        result.gaps_opened += len(track.new_gaps)
        result.gaps_filled += track.filled
        result.unexpected_seqs += track.unexpected
        for g in track.new_gaps:
            logger.warning(
                "sequence gap on %s/%s: seqs %d..%d missing", hall, device, g.from_seq, g.to_seq
            )
        if track.unexpected:
            logger.warning(
                "%s/%s sent %d repeated seqs with new event ids", hall, device, track.unexpected
            )
    if new_gaps:
        conn.execute(sa.insert(GAP), new_gaps)
    if changed:
        conn.execute(
            GAP.update()
            .where(GAP.c.id == sa.bindparam("gap_id"))
            .values(missing=sa.bindparam("missing"), filled_at=sa.bindparam("filled_at")),
            changed,
        )
    conn.execute(
        SEQ.update().where(
            SEQ.c.hall == sa.bindparam("k_hall"), SEQ.c.device == sa.bindparam("k_device")
        ),
        seq_rows,
    )


def store_batch(
    engine: Engine, envelopes: Sequence[Envelope], dead: Sequence[DeadRow], received_at: datetime
) -> StoreResult:
    """Store one batch in one transaction; return the new envelopes and what changed."""
    result = StoreResult()
    now = datetime.now(UTC)
    with engine.begin() as conn:
        # The first statement writes, so SQLite takes its write lock before any read below.
        result.new = insert_events(conn, envelopes, received_at)
        result.duplicates = len(envelopes) - len(result.new)
        if dead:
            conn.execute(sa.insert(DEAD), [_dead_row(d) for d in dead])
            result.dead_letters = len(dead)
        update_sequences(conn, [e for e in result.new if e.is_fact], now, result)
    return result
