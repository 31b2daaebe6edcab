"""A projector lane's durable state: its lock, its cursor and the facts it must retry.

A lane is one projector (one per hall for per-hall projectors) applying the fact log in
position order. Its lock makes one process at a time apply it: a PostgreSQL advisory lock
(so two ingest workers, or `hub reproject` beside a running hub, take turns; PostgreSQL lets
go of it when a killed process's connection drops), or on SQLite a byte-range lock on a file
beside the database plus a thread lock.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hub.dbtypes import aware
from hub.events.tables import ProjectorCursor, ProjectorRetry
from hub.ingest.dbsql import dialect_insert
from hub.ingest.factlog import head

logger = logging.getLogger(__name__)

CURSOR = ProjectorCursor.__table__  # type: ignore[attr-defined]
RETRY = ProjectorRetry.__table__  # type: ignore[attr-defined]
LANE_LOCK_CLASS = 0x484B  # "HK": the first key of every lane's advisory lock
_THREAD_LOCKS: dict[tuple[str, str], threading.RLock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def lane_key(lane: str) -> int:
    """A lane's 32-bit advisory lock key (signed, as PostgreSQL's int4)."""
    value = zlib.crc32(lane.encode())
    return value - 2**32 if value >= 2**31 else value


def _thread_lock(engine: Engine, lane: str) -> threading.RLock:
    key = (engine.url.render_as_string(hide_password=True), lane)
    with _THREAD_LOCKS_GUARD:
        return _THREAD_LOCKS.setdefault(key, threading.RLock())


@contextmanager
def lane_lock(engine: Engine, lane: str) -> Iterator[None]:
    """Hold the lane for this block: no other thread or process applies it meanwhile."""
    with _thread_lock(engine, lane):
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.exec_driver_sql(
                    "SELECT pg_advisory_lock(%s, %s)", (LANE_LOCK_CLASS, lane_key(lane))
                )
                conn.commit()
                try:
                    yield
                finally:
                    conn.exec_driver_sql(
                        "SELECT pg_advisory_unlock(%s, %s)", (LANE_LOCK_CLASS, lane_key(lane))
                    )
                    conn.commit()
            return
        database = engine.url.database
        if not database or database == ":memory:":
            yield
            return
        fd = os.open(f"{Path(database)}-lanes.lock", os.O_RDWR | os.O_CREAT, 0o600)
        offset = lane_key(lane) & 0x7FFFFFFF
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX, 1, offset)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the record lock


def read_cursor(conn: Connection, lane: str) -> int | None:
    """The lane's cursor, or None when the lane has never run."""
    value = conn.execute(sa.select(CURSOR.c.pos).where(CURSOR.c.lane == lane)).scalar()
    return None if value is None else int(value)


def start_cursor(engine: Engine, lane: str, now: datetime) -> int:
    """The lane's cursor; a lane seen for the first time starts at the log's head."""
    with engine.begin() as conn:
        found = read_cursor(conn, lane)
        if found is not None:
            return found
        at = head(conn)
        stmt = dialect_insert(conn, CURSOR).values(lane=lane, pos=at, updated_at=now)
        conn.execute(stmt.on_conflict_do_nothing(index_elements=["lane"]))
        logger.info("projector lane %s starts at fact %d (the head of the log)", lane, at)
        return read_cursor(conn, lane) or 0


def write_cursor(engine: Engine, lane: str, pos: int, now: datetime) -> None:
    """Move the lane's cursor to `pos` (it never moves back)."""
    with engine.begin() as conn:
        stmt = dialect_insert(conn, CURSOR).values(lane=lane, pos=pos, updated_at=now)
        larger = sa.func.max if conn.dialect.name == "sqlite" else sa.func.greatest
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["lane"],
                set_={
                    "pos": larger(CURSOR.c.pos, stmt.excluded.pos),
                    "updated_at": stmt.excluded.updated_at,
                },
            )
        )


@dataclass(slots=True)
class Retry:
    """A fact the lane failed on, or that waits behind one of its key (attempts 0)."""

    lane: str
    event_id: str
    pos: int
    key: str
    attempts: int
    next_at: datetime
    error: str
    alerted_at: datetime | None
    created_at: datetime


def park(engine: Engine, retries: list[Retry]) -> None:
    """Store facts to retry (a fact parked again keeps its first row)."""
    if not retries:
        return
    with engine.begin() as conn:
        stmt = dialect_insert(conn, RETRY).on_conflict_do_nothing(
            index_elements=["lane", "event_id"]
        )
        conn.execute(
            stmt,
            [
                {
                    "lane": r.lane,
                    "event_id": r.event_id,
                    "pos": r.pos,
                    "key": r.key[:128],
                    "attempts": r.attempts,
                    "next_at": r.next_at,
                    "error": r.error,
                    "alerted_at": r.alerted_at,
                    "created_at": r.created_at,
                }
                for r in retries
            ],
        )


def load_retries(engine: Engine, lane: str) -> list[Retry]:
    """The lane's parked facts, in position order."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(RETRY).where(RETRY.c.lane == lane).order_by(RETRY.c.pos))
        return [
            Retry(
                lane=r.lane,
                event_id=r.event_id,
                pos=int(r.pos),
                key=r.key,
                attempts=int(r.attempts),
                next_at=aware(r.next_at),
                error=r.error,
                alerted_at=aware(r.alerted_at),
                created_at=aware(r.created_at),
            )
            for r in rows
        ]


def save_retry(engine: Engine, retry: Retry) -> None:
    """Store a parked fact's new attempt count, time and error."""
    with engine.begin() as conn:
        conn.execute(
            RETRY.update()
            .where(RETRY.c.lane == retry.lane, RETRY.c.event_id == retry.event_id)
            .values(
                attempts=retry.attempts,
                next_at=retry.next_at,
                error=retry.error,
                alerted_at=retry.alerted_at,
            )
        )


def drop_retry(engine: Engine, lane: str, event_id: str) -> None:
    """Forget a parked fact (it is applied now)."""
    with engine.begin() as conn:
        conn.execute(RETRY.delete().where(RETRY.c.lane == lane, RETRY.c.event_id == event_id))
