"""Reading and writing queue events and tickets (SQLAlchemy); the engine stays pure."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from hub.db import session_scope
from hub.dbtypes import aware
from hub.queue.engine import EventKind, QueueEngine, QueueEvent, Ticket
from hub.queue.tables import QueueEventRow, QueueTicketRow


def to_event(row: QueueEventRow) -> QueueEvent:
    """A stored row back into an engine event."""
    at = aware(row.at)
    assert at is not None
    return QueueEvent(
        seq=row.seq,
        kind=EventKind(row.kind),
        at=at,
        ticket=row.ticket,
        service=row.service,
        window=row.window,
        data=json.loads(row.data),
    )


def utc(dt: datetime | None) -> datetime | None:
    """Aware UTC for storing (SQLite keeps the wall time and drops the offset)."""
    return dt.astimezone(UTC) if dt is not None else None


def _ticket_values(hall: str, day: str, t: Ticket) -> dict[str, Any]:
    return {
        "hall": hall,
        "day": day,
        "number": t.number,
        "service": t.service,
        "state": t.state.value,
        "green": t.green,
        "window": t.window,
        "staff": t.staff,
        "recalls": t.recalls,
        "issued_at": t.issued_at.astimezone(UTC),
        "called_at": utc(t.called_at),
        "started_at": utc(t.started_at),
        "finished_at": utc(t.finished_at),
    }


_EVENTS = QueueEventRow.__table__  # type: ignore[attr-defined]
_ADD_EVENTS = sa.insert(_EVENTS)
_UPSERTS: dict[tuple[str, tuple[str, ...]], Any] = {}
"""The tickets' upsert statement per dialect and columns, built once (a key press's decision
is on the keypad-to-display path: building it anew cost more than running it)."""


def _upsert_tickets(conn: Connection, rows: list[dict[str, Any]]) -> None:
    columns = tuple(rows[0])
    stmt = _UPSERTS.get((conn.dialect.name, columns))
    if stmt is None:
        table = QueueTicketRow.__table__  # type: ignore[attr-defined]
        insert: Any = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(table)
        keys = ("hall", "day", "number")
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={c: stmt.excluded[c] for c in columns if c not in keys},
        )
        _UPSERTS[(conn.dialect.name, columns)] = stmt
    conn.execute(stmt, rows)


def save(
    conn: Connection,
    hall: str,
    queue: QueueEngine,
    events: Sequence[QueueEvent],
    source: str | None,
    day_before: str | None,
) -> None:
    """Append events and upsert the tickets they touched (in the caller's transaction).

    `day_before` is the queue day before these events: events up to a day reset (the expiry
    of yesterday's leftovers) belong to it, the rest to the new day.
    """
    cursor = day_before
    touched: set[str] = set()
    rows: list[dict[str, Any]] = []
    expired: list[tuple[str, str]] = []
    for ev in events:
        if ev.kind is EventKind.DAY_RESET:
            cursor = ev.data["day"]
            touched.clear()
        day = cursor or ev.at.astimezone(queue.settings.tz).date().isoformat()
        rows.append(
            {
                "hall": hall,
                "day": day,
                "seq": ev.seq,
                "kind": ev.kind.value,
                "at": ev.at.astimezone(UTC),
                "ticket": ev.ticket,
                "service": ev.service,
                "window": ev.window,
                "data": json.dumps(ev.data, ensure_ascii=False),
                "source": source,
            }
        )
        if ev.kind is EventKind.EXPIRED and ev.ticket:
            expired.append((day, ev.ticket))
        elif ev.ticket:
            touched.add(ev.ticket)
    conn.execute(_ADD_EVENTS, rows)
    tickets = QueueTicketRow.__table__  # type: ignore[attr-defined]
    for day, number in expired:
        conn.execute(
            sa.update(tickets)
            .where(tickets.c.hall == hall, tickets.c.day == day, tickets.c.number == number)
            .values(state="expired")
        )
    today = queue.day.isoformat() if queue.day else ""
    current = [queue.tickets[n] for n in sorted(touched) if n in queue.tickets]
    if current:
        _upsert_tickets(conn, [_ticket_values(hall, today, t) for t in current])


_SOURCES_SEEN = sa.select(_EVENTS.c.source).where(
    _EVENTS.c.source.in_(sa.bindparam("ids", expanding=True))
)


def seen_sources(engine: Engine, sources: Iterable[str]) -> set[str]:
    """Which of these envelope ids already changed the queue (a projector re-run is a no-op)."""
    ids = list(sources)
    if not ids:
        return set()
    with engine.connect() as conn:  # one statement built once: this runs for every key press
        return {r for (r,) in conn.execute(_SOURCES_SEEN, {"ids": ids}) if r}


QUEUE_LOCK_CLASS = 0x5155  # "QU": the first key of a hall's queue advisory lock


def claim_hall(conn: Connection, hall: str) -> int | None:
    """Make this transaction the hall's one queue decision maker until it ends; the hall's
    newest stored event seq (PostgreSQL: a transaction advisory lock per hall, so two ingest
    workers, or a worker and the API, never decide for one hall at once). None on SQLite,
    where one hub process makes every decision."""
    if conn.dialect.name != "postgresql":
        return None
    key = zlib.crc32(hall.encode()) - 2**31  # an int4
    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s, %s)", (QUEUE_LOCK_CLASS, key))
    table = QueueEventRow.__table__  # type: ignore[attr-defined]
    seq = conn.execute(sa.select(sa.func.max(table.c.seq)).where(table.c.hall == hall)).scalar()
    return int(seq or 0)


def source_decided(conn: Connection, source: str) -> bool:
    """True when this envelope (or request) already changed the queue."""
    table = QueueEventRow.__table__  # type: ignore[attr-defined]
    found = conn.execute(sa.select(table.c.id).where(table.c.source == source).limit(1))
    return found.first() is not None


def latest_day_events(engine: Engine, hall: str) -> list[QueueEvent]:
    """The stored events of the hall's latest queue day, in order (for a restart)."""
    with Session(engine) as s:
        day = s.exec(select(func.max(QueueEventRow.day)).where(QueueEventRow.hall == hall)).one()
        if day is None:
            return []
        rows = s.exec(
            select(QueueEventRow)
            .where(QueueEventRow.hall == hall, QueueEventRow.day == day)
            .order_by(col(QueueEventRow.seq))
        ).all()
        return [to_event(r) for r in rows]


def last_seq(engine: Engine, hall: str) -> int:
    """The highest event seq stored for the hall (0 when none)."""
    with Session(engine) as s:
        seq = s.exec(select(func.max(QueueEventRow.seq)).where(QueueEventRow.hall == hall)).one()
        return int(seq or 0)


def events_between(engine: Engine, hall: str, start_day: str, end_day: str) -> list[QueueEvent]:
    """Stored events of the hall from start_day to end_day (inclusive, YYYY-MM-DD), in order."""
    with session_scope(engine) as s:
        rows = s.exec(
            select(QueueEventRow)
            .where(
                QueueEventRow.hall == hall,
                QueueEventRow.day >= start_day,
                QueueEventRow.day <= end_day,
            )
            .order_by(col(QueueEventRow.seq))
        ).all()
        return [to_event(r) for r in rows]


SERVING_KINDS = ("called", "started")
"""Queue changes after which a window serves the ticket."""
SHOWN_KINDS = (*SERVING_KINDS, "finished", "skipped", "no_show", "parked", "transferred")
"""Queue changes that change what a window's rating device shows (RATE-2)."""


def serving_ticket(conn: Connection, hall: str, window: str, day: date) -> str | None:
    """The ticket a window serves now (its last shown queue change that day), else None."""
    q = QueueEventRow.__table__  # type: ignore[attr-defined]
    row = conn.execute(
        sa.select(q.c.kind, q.c.ticket)
        .where(
            q.c.hall == hall,
            q.c.day == day.isoformat(),
            q.c.window == window,
            q.c.kind.in_(SHOWN_KINDS),
        )
        .order_by(q.c.seq.desc())
        .limit(1)
    ).first()
    return row[1] if row is not None and row[0] in SERVING_KINDS else None
