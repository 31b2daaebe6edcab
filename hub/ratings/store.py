"""Reads the ratings area needs from other areas' tables (queue, the post ledger, punches,
staff) and its own settings; returns the plain values hub.ratings.engine takes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.events.tables import Event
from hub.queue.tables import QueueEventRow
from hub.ratings.engine import OnPost, ServiceRecord, on_post
from hub.ratings.scheme import RatingSettings
from hub.ratings.tables import RatingRow, RatingSettingsRow
from hub.staff.tables import Staff
from models.devices import face_terminal
from models.layout import Hall

if TYPE_CHECKING:
    from hub.duty.ledger import LedgerDay

QUEUE = QueueEventRow.__table__  # type: ignore[attr-defined]
EVENT = Event.__table__  # type: ignore[attr-defined]
STAFF = Staff.__table__  # type: ignore[attr-defined]
SETTINGS = RatingSettingsRow.__table__  # type: ignore[attr-defined]
RATING = RatingRow.__table__  # type: ignore[attr-defined]


def load_settings(conn: Connection, hall: str) -> RatingSettings:
    """The hall's ratings settings (defaults when none were stored)."""
    row = conn.execute(sa.select(SETTINGS.c.settings).where(SETTINGS.c.hall == hall)).first()
    data = row[0] if row else {}
    if isinstance(data, str):
        data = json.loads(data)
    return RatingSettings.from_dict(dict(data or {}))


def save_settings(conn: Connection, hall: str, settings: RatingSettings, now: datetime) -> None:
    """Store the hall's ratings settings (replacing the old ones)."""
    conn.execute(sa.delete(SETTINGS).where(SETTINGS.c.hall == hall))
    conn.execute(sa.insert(SETTINGS).values(hall=hall, settings=settings.to_dict(), updated_at=now))


def window_of(hall: Hall, seat: str) -> str | None:
    """The window a seat belongs to."""
    for w in hall.windows:
        if seat in w.seats:
            return w.id
    return None


def present_at(
    conn: Connection,
    hall: Hall,
    seat: str,
    window: str,
    at: datetime,
    ledger: LedgerDay | None = None,
) -> OnPost:
    """Who is on post at `seat` at `at` (RATE-2): the post ledger's holder (hub.duty: roster, B
    takeover, substitute, cover), unless a face punched at the window's terminal since that
    holding began (who is actually there); a face seen before a handover does not outlast it.
    `ledger`: that day's post ledger when the caller has built it already (the duty watch)."""
    from hub.duty.ledger_store import holder_at

    held = ledger.holder_at(seat, at) if ledger is not None else holder_at(conn, hall, seat, at)
    terminals = [d.id for d in hall.devices if d.kind == face_terminal.KIND and d.window == window]
    punched = None
    if terminals:
        tz = ZoneInfo(hall.timezone)
        since = datetime.combine(at.astimezone(tz).date(), time(0), tz)
        if held is not None:  # a face before the seat changed hands says nothing of now
            since = max(since, held.start)
        body = conn.execute(
            sa.select(EVENT.c.body)
            .where(
                EVENT.c.hall == hall.id,
                EVENT.c.type == "punch",
                EVENT.c.device.in_(terminals),
                EVENT.c.device_ts >= since.astimezone(UTC),
                EVENT.c.device_ts <= at.astimezone(UTC),
            )
            .order_by(EVENT.c.device_ts.desc(), EVENT.c.event_id.desc())
            .limit(1)
        ).scalar()
        if body:
            punched = json.loads(body).get("staff_id")
    if punched or held is None or held.staff_id is None:
        return on_post(None, punched)
    return OnPost(held.staff_id, held.basis.value)


def staff_name(conn: Connection, staff_id: str | None) -> str:
    """The staff member's name, or empty when unknown."""
    if not staff_id:
        return ""
    name = conn.execute(sa.select(STAFF.c.name).where(STAFF.c.staff_id == staff_id)).scalar()
    return str(name or "")


def service_record(
    conn: Connection, hall: str, day: date, window: str, ticket: str
) -> ServiceRecord | None:
    """The ticket's service at this window on this day, from the queue's events; None if never
    called there."""
    rows = conn.execute(
        sa.select(QUEUE.c.kind, QUEUE.c.window, QUEUE.c.service, QUEUE.c.data)
        .where(QUEUE.c.hall == hall, QUEUE.c.day == day.isoformat(), QUEUE.c.ticket == ticket)
        .order_by(QUEUE.c.seq)
    ).all()
    called = [i for i, r in enumerate(rows) if r.kind == "called" and r.window == window]
    if not called:
        return None
    first = called[-1]
    after = rows[first + 1 :]
    served = not any(r.kind in ("skipped", "no_show") and r.window == window for r in after)
    data: dict[str, Any] = json.loads(rows[first].data or "{}")
    service = next((r.service for r in reversed(rows[: first + 1]) if r.service), None)
    cases = [json.loads(r.data or "{}").get("case_no") for r in rows if r.kind == "case_linked"]
    case_no = cases[-1] if cases else None  # rule RATE-1: the case number (办件编号)
    return ServiceRecord(day, window, ticket, service, served, data.get("staff"), case_no)


def queue_changes(conn: Connection, hall: str, after_seq: int) -> list[dict[str, Any]]:
    """Queue events after `after_seq` (what rating devices show, case numbers), in order."""
    rows = conn.execute(
        sa.select(
            QUEUE.c.seq, QUEUE.c.day, QUEUE.c.kind, QUEUE.c.window, QUEUE.c.ticket, QUEUE.c.data
        )
        .where(QUEUE.c.hall == hall, QUEUE.c.seq > after_seq)
        .order_by(QUEUE.c.seq)
    ).all()
    return [dict(r._mapping) for r in rows]


def last_queue_seq(conn: Connection, hall: str) -> int:
    """The hall's highest queue event seq (0 when none)."""
    seq = conn.execute(sa.select(sa.func.max(QUEUE.c.seq)).where(QUEUE.c.hall == hall)).scalar()
    return int(seq or 0)


def link_case(conn: Connection, hall: str, change: dict[str, Any]) -> None:
    """Put a case number given to a ticket after its rating on that rating (RATE-1)."""
    case_no = json.loads(change.get("data") or "{}").get("case_no")
    if not case_no:
        return
    conn.execute(
        sa.update(RATING)
        .where(
            RATING.c.hall == hall,
            RATING.c.day == date.fromisoformat(change["day"]),
            RATING.c.window == change["window"],
            RATING.c.ticket == change["ticket"],
        )
        .values(case_no=case_no)
    )
