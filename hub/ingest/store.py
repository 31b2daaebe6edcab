"""Write one ingest batch in one transaction: events (idempotent), dead letters, sequence gaps."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
"""Column order of the parameters `_event_params` builds."""
_CHUNK_ROWS = 1000
_MINUTE = timedelta(minutes=1)
TRACK_COLUMNS = ("last_seq", "facts", "gaps_open", "gaps_total", "missing_open", "resets")
"""The counters of a `device_sequence` row, in the order `_select_tracks` reads them."""


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
    if value.tzinfo is None:
        return value.isoformat(" ", "microseconds")
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:-6]  # without "+00:00"


def _db_ts(sqlite_style: bool) -> Any:
    """How timestamps are passed to the driver: SQLAlchemy's SQLite text, or as they are."""
    return _sqlite_ts if sqlite_style else (lambda value: value)


def _event_params(envelopes: Sequence[Envelope], received: Any, sqlite_style: bool) -> list[Any]:
    """The flat INSERT parameters of `envelopes`, in EVENT_COLUMNS order."""
    to_db = _db_ts(sqlite_style)
    params: list[Any] = []
    add = params.extend
    for env in envelopes:
        offset = env.ts.utcoffset()  # None only for a naive time, which the contract refuses
        add(
            (
                env.id,
                env.hall,
                env.device,
                env.seq,
                env.type.value,
                to_db(env.ts),
                offset // _MINUTE if offset else 0,
                env.synced,
                received,
                env.body.json_text(),
            )
        )
    return params


def _insert_returning_new(
    conn: Connection, envelopes: Sequence[Envelope], received_at: datetime
) -> set[str]:
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
    received = _db_ts(sqlite_style)(received_at)
    inserted: set[str] = set()
    for start in range(0, len(envelopes), _CHUNK_ROWS):
        part = envelopes[start : start + _CHUNK_ROWS]
        params = _event_params(part, received, sqlite_style)
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
    inserted = _insert_returning_new(conn, list(unique.values()), received_at)
    return [env for env in unique.values() if env.id in inserted]


Tracks = dict[tuple[str, str], tuple[DeviceTrack, dict[str, Any]]]
"""Per (hall, device): its sequence track and the counters of its stored row."""


def _select_tracks(conn: Connection, keys: list[tuple[str, str]], tracks: Tracks) -> None:
    """Read (and on PostgreSQL lock, in key order) the sequence rows of `keys` that exist."""
    sqlite_style = conn.dialect.name == "sqlite"
    mark = "?" if sqlite_style else "%s"
    lock = "" if sqlite_style else " FOR UPDATE"
    by_hall: dict[str, list[str]] = defaultdict(list)
    for hall, device in keys:
        by_hall[hall].append(device)
    for hall in sorted(by_hall):
        devices = by_hall[hall]
        sql = (
            f"SELECT device, {', '.join(TRACK_COLUMNS)} FROM device_sequence "
            f"WHERE hall = {mark} AND device IN ({','.join([mark] * len(devices))}) "
            f"ORDER BY device{lock}"
        )
        for device, *values in conn.exec_driver_sql(sql, (hall, *devices)):
            row = dict(zip(TRACK_COLUMNS, values, strict=True))
            last = row["last_seq"] if row["facts"] or row["resets"] else None
            tracks[(hall, device)] = (DeviceTrack(last_seq=last), row)


def _load_tracks(conn: Connection, keys: list[tuple[str, str]], now: datetime) -> Tracks:
    """Lock (PostgreSQL) and read the sequence rows of `keys`, creating the missing ones."""
    tracks: Tracks = {}
    _select_tracks(conn, keys, tracks)
    missing = [k for k in keys if k not in tracks]
    if missing:  # a device's first facts: create its row (another worker may race us to it)
        stmt = _insert(conn, SEQ).on_conflict_do_nothing(index_elements=["hall", "device"])
        zero = dict.fromkeys(TRACK_COLUMNS, 0)
        rows = [{"hall": h, "device": d, **zero, "updated_at": now} for h, d in missing]
        conn.execute(stmt, rows)
        _select_tracks(conn, missing, tracks)
    return tracks


def _load_gaps(conn: Connection, keys: list[tuple[str, str]], tracks: Tracks) -> None:
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
    seq_rows: list[tuple[Any, ...]] = []
    updated_at = _db_ts(conn.dialect.name == "sqlite")(now)
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
            (  # TRACK_COLUMNS, updated_at, then the key
                track.last_seq if track.last_seq is not None else 0,
                row["facts"] + len(seqs[key]),
                row["gaps_open"] + len(track.new_gaps) - track.filled,
                row["gaps_total"] + len(track.new_gaps),
                row["missing_open"] + sum(g.missing for g in track.new_gaps) - track.late,
                row["resets"] + track.resets,
                updated_at,
                hall,
                device,
            )
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
    sqlite_style = conn.dialect.name == "sqlite"
    mark = "?" if sqlite_style else "%s"
    assigns = ", ".join(f"{c} = {mark}" for c in (*TRACK_COLUMNS, "updated_at"))
    conn.exec_driver_sql(
        f"UPDATE device_sequence SET {assigns} WHERE hall = {mark} AND device = {mark}",
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
