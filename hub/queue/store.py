"""Reading and writing queue events and tickets (SQLAlchemy); the engine stays pure."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.db import session_scope
from hub.queue.engine import EventKind, QueueEngine, QueueEvent, Ticket
from hub.queue.tables import QueueEventRow, QueueTicketRow


def aware(dt: datetime | None) -> datetime | None:
    """SQLite returns naive UTC; make any stored time aware UTC."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


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


def _ticket_row(hall: str, day: str, t: Ticket) -> QueueTicketRow:
    return QueueTicketRow(
        hall=hall,
        day=day,
        number=t.number,
        service=t.service,
        state=t.state.value,
        green=t.green,
        window=t.window,
        staff=t.staff,
        recalls=t.recalls,
        issued_at=t.issued_at.astimezone(UTC),
        called_at=utc(t.called_at),
        started_at=utc(t.started_at),
        finished_at=utc(t.finished_at),
    )


def save(
    session: Session,
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
    for ev in events:
        if ev.kind is EventKind.DAY_RESET:
            cursor = ev.data["day"]
            touched.clear()
        day = cursor or ev.at.astimezone(queue.settings.tz).date().isoformat()
        session.add(
            QueueEventRow(
                hall=hall,
                day=day,
                seq=ev.seq,
                kind=ev.kind.value,
                at=ev.at.astimezone(UTC),
                ticket=ev.ticket,
                service=ev.service,
                window=ev.window,
                data=json.dumps(ev.data, ensure_ascii=False),
                source=source,
            )
        )
        if ev.kind is EventKind.EXPIRED and ev.ticket:
            row = session.get(QueueTicketRow, (hall, day, ev.ticket))
            if row is not None:
                row.state = "expired"
                session.add(row)
        elif ev.ticket:
            touched.add(ev.ticket)
    today = queue.day.isoformat() if queue.day else ""
    for number in sorted(touched):
        t = queue.tickets.get(number)
        if t is not None:
            session.merge(_ticket_row(hall, today, t))


def seen_sources(engine: Engine, sources: Iterable[str]) -> set[str]:
    """Which of these envelope ids already changed the queue (a projector re-run is a no-op)."""
    ids = list(sources)
    if not ids:
        return set()
    with Session(engine) as s:
        rows = s.exec(select(QueueEventRow.source).where(QueueEventRow.source.in_(ids)))  # type: ignore[union-attr]
        return {r for r in rows if r}


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
