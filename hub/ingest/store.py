"""Write one ingest batch in one transaction: events (idempotent), dead letters, sequence gaps."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hub.dbtypes import aware
from hub.events.tables import (
    DEAD_LETTER_MAX_BYTES,
    DEAD_LETTER_MAX_REASON,
    DEAD_LETTER_MAX_TOPIC,
    DeadLetter,
    Event,
)
from hub.ingest.dbsql import db_ts
from hub.ingest.reasons import reason_code
from hub.ingest.sequence_store import contiguous_upto, update_sequences
from models.envelope import MAX_SEQ, Envelope
from models.errors import ContractError
from models.topics import Channel, Topic, build_topic, parse_topic

logger = logging.getLogger(__name__)

EVENT = Event.__table__  # type: ignore[attr-defined]
DEAD = DeadLetter.__table__  # type: ignore[attr-defined]


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
    heartbeats: list[Envelope] = field(default_factory=list)
    """The batch's heartbeats: not stored as events (hub/fleet keeps them), for projectors."""
    duplicates: int = 0
    dead_letters: int = 0
    gaps_opened: int = 0
    gaps_filled: int = 0
    unexpected_seqs: int = 0
    stored_upto: dict[tuple[str, str], int] = field(default_factory=dict)
    """Per (hall, device) that sent facts in the batch: the highest seq up to which the log
    holds every fact of the device (after this batch's commit)."""
    new_pos: list[int] = field(default_factory=list)
    """The fact-log position of each envelope of `new`."""
    dead_rows: list[DeadRow] = field(default_factory=list)
    """The dead letters stored."""
    spans: list[tuple[int, int]] = field(default_factory=list)
    """Fact-log positions each committed transaction allocated: after < pos <= upto."""


EVENT_COLUMNS = (
    "pos",
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


def _dead_row(dead: DeadRow) -> dict[str, Any]:
    try:
        topic: Topic | None = parse_topic(dead.topic)
    except ContractError:
        topic = None
    return {
        "received_at": dead.received_at,
        "topic": dead.topic[:DEAD_LETTER_MAX_TOPIC],
        "reason": dead.reason[:DEAD_LETTER_MAX_REASON],
        "code": reason_code(dead.reason),
        "hall": topic.hall if topic else None,
        "device": topic.device if topic else None,
        "payload": bytes(dead.payload[:DEAD_LETTER_MAX_BYTES]),
        "size": len(dead.payload),
    }


def envelope_dead_row(env: Envelope, reason: str, received_at: datetime) -> DeadRow:
    """The dead letter of an envelope refused after parsing (its topic rebuilt from it)."""
    channel = Channel.EVT if env.is_fact else Channel.HB
    return DeadRow(build_topic(env.hall, env.device, channel), reason, env.to_json(), received_at)


def refused_fact_seqs(dead: Sequence[DeadRow]) -> list[tuple[str, str, int]]:
    """(hall, device, seq) of each refused fact whose seq can be read: held as a dead letter.

    The device is the one of the topic (the broker's ACL lets a device publish only there)
    and must be the one the payload names; the seq is read from the payload when it is an
    integer the contract allows. A refused
    fact is held by the hub (in the dead letters) as surely as a stored one, so it must not
    hold back the device's acknowledgement (issue 21: one refused fact kept every later fact
    of the device in its outbox for good).
    """
    out: list[tuple[str, str, int]] = []
    for row in dead:
        try:
            topic = parse_topic(row.topic)
            body = json.loads(row.payload)
        except (ContractError, ValueError, UnicodeDecodeError, RecursionError):
            continue
        if not isinstance(body, dict) or topic.channel is not Channel.EVT:
            continue
        seq, own = body.get("seq"), (body.get("hall"), body.get("device"))
        if own == (topic.hall, topic.device) and type(seq) is int and 0 < seq <= MAX_SEQ:
            out.append((topic.hall, topic.device, seq))
    return out


def _event_params(
    envelopes: Sequence[Envelope], received: Any, sqlite_style: bool, first_pos: int
) -> list[Any]:
    """The flat INSERT parameters of `envelopes`, in EVENT_COLUMNS order (positions from
    `first_pos` on)."""
    to_db = db_ts(sqlite_style)
    params: list[Any] = []
    add = params.extend
    for pos, env in enumerate(envelopes, first_pos):
        offset = env.ts.utcoffset()  # None only for a naive time, which the contract refuses
        add(
            (
                pos,
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
    conn: Connection, envelopes: Sequence[Envelope], received_at: datetime, base: int
) -> set[str]:
    """Multi-row INSERT ... ON CONFLICT (event_id) DO NOTHING RETURNING event_id.

    Row i gets fact-log position base + 1 + i (allocated by `allocate_positions`).

    The hot path of ingest, written as one driver statement per 1000 rows: SQLAlchemy's
    per-row parameter processing cost more than the database did. Same SQL on both dialects;
    SQLite gets its timestamps as the naive-UTC strings SQLAlchemy itself would store.
    """
    sqlite_style = conn.dialect.name == "sqlite"
    mark = "?" if sqlite_style else "%s"
    one = "(" + ",".join([mark] * len(EVENT_COLUMNS)) + ")"
    head = f"INSERT INTO event ({','.join(EVENT_COLUMNS)}) VALUES "
    tail = " ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
    received = db_ts(sqlite_style)(received_at)
    inserted: set[str] = set()
    for start in range(0, len(envelopes), _CHUNK_ROWS):
        part = envelopes[start : start + _CHUNK_ROWS]
        params = _event_params(part, received, sqlite_style, base + start + 1)
        result = conn.exec_driver_sql(head + ",".join([one] * len(part)) + tail, tuple(params))
        inserted.update(r[0] for r in result)
    return inserted


@dataclass(frozen=True, slots=True)
class Inserted:
    """What `insert_events` did: envelopes new to the log, and ids reused for another fact."""

    new: list[Envelope]
    reused: list[tuple[Envelope, str]]
    """(envelope, why) for each envelope whose id the log already holds for a different fact."""
    new_pos: list[int] = field(default_factory=list)
    """The fact-log position of each new envelope."""
    span: tuple[int, int] | None = None
    """(after, upto): the positions this transaction allocated are after < pos <= upto."""


def allocate_positions(conn: Connection, count: int) -> int:
    """Reserve `count` fact-log positions; returns the one before the first.

    The first statement of a store transaction: on PostgreSQL its row lock orders concurrent
    ingest transactions until commit; on SQLite it takes the write lock. Either way positions
    become visible in increasing order (hub.events.tables.FactCounter).
    """
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    row = conn.exec_driver_sql(
        f"UPDATE fact_counter SET last_pos = last_pos + {mark} WHERE id = 1 RETURNING last_pos",
        (count,),
    ).one()
    return int(row[0]) - count


def fact_identity(env: Envelope) -> tuple[Any, ...]:
    """What makes two envelopes with one id the same message (received time aside)."""
    offset = env.ts.utcoffset()
    return (
        env.hall,
        env.device,
        env.seq,
        env.type.value,
        env.ts.astimezone(UTC),
        offset // _MINUTE if offset else 0,
        env.synced,
        env.body.json_text(),
    )


_IDENTITY_FIELDS = ("hall/device", "hall/device", "seq", "type", "ts", "ts", "synced", "body")


def reuse_reason(env: Envelope, stored: tuple[Any, ...]) -> str:
    """The dead-letter reason for an id the log holds for another fact (rule: ids are unique)."""
    mine = fact_identity(env)
    differs = sorted({f for f, a, b in zip(_IDENTITY_FIELDS, mine, stored, strict=True) if a != b})
    where = f" (stored from {stored[0]}/{stored[1]})" if "hall/device" in differs else ""
    fields = ", ".join(differs)
    return f"event id reused: {env.id} already names another fact; differs in {fields}{where}"


def _stored_identities(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """The identity of stored events, by id (SQLite's naive timestamps made aware UTC)."""
    cols = (EVENT.c.hall, EVENT.c.device, EVENT.c.seq, EVENT.c.type, EVENT.c.device_ts)
    rest = (EVENT.c.ts_offset_min, EVENT.c.synced, EVENT.c.body)
    out: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(ids), _CHUNK_ROWS):
        part = list(ids[start : start + _CHUNK_ROWS])
        query = sa.select(EVENT.c.event_id, *cols, *rest).where(EVENT.c.event_id.in_(part))
        for eid, hall, device, seq, etype, ts, offset, synced, body in conn.execute(query):
            out[eid] = (hall, device, seq, etype, aware(ts), offset, bool(synced), body)
    return out


def insert_events(
    conn: Connection, envelopes: Sequence[Envelope], received_at: datetime
) -> Inserted:
    """Append envelopes; an id already stored is a duplicate if it is the same message, else
    it is reported as reused (never silently dropped)."""
    by_id: dict[str, list[Envelope]] = defaultdict(list)
    for env in envelopes:
        by_id[env.id].append(env)
    if not by_id:
        return Inserted([], [])
    base = allocate_positions(conn, len(by_id))
    inserted = _insert_returning_new(conn, [envs[0] for envs in by_id.values()], received_at, base)
    position = {eid: base + 1 + i for i, eid in enumerate(by_id)}
    clashing = [eid for eid in by_id if eid not in inserted]
    stored = _stored_identities(conn, clashing) if clashing else {}
    new: list[Envelope] = []
    reused: list[tuple[Envelope, str]] = []
    for eid, envs in by_id.items():
        # The fact an id names: the one the log held already, else the first to arrive.
        held = stored.get(eid)
        if held is None:
            if eid in inserted:
                new.append(envs[0])
            if len(envs) == 1:
                continue
            held = fact_identity(envs[0])
            envs = envs[1:]
        for env in envs:
            if fact_identity(env) != held:
                reused.append((env, reuse_reason(env, held)))
    return Inserted(new, reused, [position[e.id] for e in new], (base, base + len(by_id)))


def store_batch(
    engine: Engine, envelopes: Sequence[Envelope], dead: Sequence[DeadRow], received_at: datetime
) -> StoreResult:
    """Store one batch in one transaction; return the new envelopes and what changed.

    Heartbeats are not facts: they are not stored as events (hub.fleet keeps each device's
    latest and a downsampled history); each one's seq is checked against what the hub holds
    (a lost tail is a sequence gap) and they go on to the projectors.
    """
    result = StoreResult()
    now = datetime.now(UTC)
    facts = [e for e in envelopes if e.is_fact]
    result.heartbeats = list({e.id: e for e in envelopes if not e.is_fact}.values())
    with engine.begin() as conn:
        # The first statement writes (allocate_positions), so SQLite takes its write lock
        # before any read below, and PostgreSQL orders concurrent workers' commits.
        if facts:
            inserted = insert_events(conn, facts, received_at)
        else:
            allocate_positions(conn, 0)  # the write lock, for the sequence check below
            inserted = Inserted([], [])
        result.new = inserted.new
        result.new_pos = inserted.new_pos
        result.spans = [inserted.span] if inserted.span else []
        result.duplicates = len(facts) - len(result.new) - len(inserted.reused)
        dead = [*dead, *(envelope_dead_row(env, why, received_at) for env, why in inserted.reused)]
        if dead:
            conn.execute(sa.insert(DEAD), [_dead_row(d) for d in dead])
            result.dead_letters = len(dead)
            result.dead_rows = dead
        claims: dict[tuple[str, str], int] = {}
        for beat in result.heartbeats:
            key = (beat.hall, beat.device)
            claims[key] = max(claims.get(key, 0), beat.seq)
        refused = refused_fact_seqs(dead)
        held = update_sequences(conn, result.new, now, result, claims, refused=refused)
        result.stored_upto = contiguous_upto(
            conn, [*((e.hall, e.device) for e in facts), *((h, d) for h, d, _ in refused)], held
        )
    return result
