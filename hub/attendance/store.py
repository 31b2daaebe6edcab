"""Reading attendance facts from, and writing judged days to, the database (Core, both DBs)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.attendance.engine import CorrectionFact, DayRecord, Employment, LeaveFact, PunchFact
from hub.attendance.tables import (
    AttCorrection,
    AttDay,
    AttLeave,
    AttMonth,
    AttPunch,
)
from hub.dbtypes import aware
from hub.staff.tables import Staff

logger = logging.getLogger(__name__)

PUNCH = AttPunch.__table__  # type: ignore[attr-defined]
LEAVE = AttLeave.__table__  # type: ignore[attr-defined]
CORRECTION = AttCorrection.__table__  # type: ignore[attr-defined]
DAY = AttDay.__table__  # type: ignore[attr-defined]
MONTH = AttMonth.__table__  # type: ignore[attr-defined]
STAFF = Staff.__table__  # type: ignore[attr-defined]
"""The staff area's table (staff_id, hall, name, unit, window, active, start and leave dates)."""


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The hall-local day as a UTC half-open range [start, end)."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_key(day: date) -> str:
    """The month a day belongs to, YYYY-MM."""
    return f"{day.year:04d}-{day.month:02d}"


def _insert(conn: Connection, table: sa.Table) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def insert_punches(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert punch rows (staff_id, at, event_id, hall, device); repeated event ids are dropped."""
    if not rows:
        return 0
    stmt = _insert(conn, PUNCH).on_conflict_do_nothing(index_elements=["event_id"])
    result = conn.execute(stmt, list(rows))
    return int(result.rowcount or 0)


def punch_rows(
    punches: Iterable[PunchFact], halls: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Rows for punches that carry no event id (imports, benchmarks); each punch's hall is its
    staff member's (`halls`: staff id -> hall), "" when unknown."""
    halls = halls or {}
    return [
        {
            "staff_id": p.staff_id,
            "at": p.at.astimezone(UTC),
            "event_id": None,
            "hall": halls.get(p.staff_id, ""),
            "device": "",
        }
        for p in punches
    ]


def staff_halls(conn: Connection, staff_ids: Iterable[str]) -> dict[str, str]:
    """Staff id -> the hall whose staff they are (the staff list), for the known ones."""
    ids = sorted(set(staff_ids))
    if not ids:
        return {}
    q = sa.select(STAFF.c.staff_id, STAFF.c.hall).where(STAFF.c.staff_id.in_(ids))
    return {s: h for s, h in conn.execute(q)}


def staff_halls_all(conn: Connection) -> dict[str, str]:
    """Every staff member's hall (the staff list): staff id -> hall."""
    return {s: h for s, h in conn.execute(sa.select(STAFF.c.staff_id, STAFF.c.hall))}


def lock_staff_day(conn: Connection, staff_id: str, day: date) -> None:
    """Serialise re-judging of one staff-day across workers (PostgreSQL advisory lock)."""
    if conn.dialect.name == "postgresql":
        digest = hashlib.blake2b(f"att:{staff_id}:{day.isoformat()}".encode(), digest_size=8)
        key = int.from_bytes(digest.digest(), "big", signed=True)
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def closed_months(conn: Connection) -> set[str]:
    """Months that are closed (frozen)."""
    return set(conn.execute(sa.select(MONTH.c.month).where(MONTH.c.closed.is_(True))).scalars())


def load_facts(
    conn: Connection, start: datetime, end: datetime, staff_id: str | None = None
) -> tuple[list[PunchFact], list[LeaveFact], list[CorrectionFact]]:
    """Punches, approved leave and approved corrections in [start, end), for one or all staff."""
    pq = sa.select(PUNCH.c.staff_id, PUNCH.c.at).where(PUNCH.c.at >= start, PUNCH.c.at < end)
    lq = sa.select(LEAVE.c.staff_id, LEAVE.c.start, LEAVE.c.end, LEAVE.c.kind, LEAVE.c.id).where(
        LEAVE.c.status == "approved", LEAVE.c.start < end, LEAVE.c.end >= start
    )
    cq = sa.select(
        CORRECTION.c.staff_id,
        CORRECTION.c.at,
        CORRECTION.c.reason,
        CORRECTION.c.approver,
        CORRECTION.c.checkpoint,
        CORRECTION.c.id,
    ).where(CORRECTION.c.status == "approved", CORRECTION.c.at >= start, CORRECTION.c.at < end)
    if staff_id is not None:
        pq = pq.where(PUNCH.c.staff_id == staff_id)
        lq = lq.where(LEAVE.c.staff_id == staff_id)
        cq = cq.where(CORRECTION.c.staff_id == staff_id)
    punches = [PunchFact(s, aware(a)) for s, a in conn.execute(pq)]
    leaves = [
        LeaveFact(s, aware(a), aware(b), k, f"leave {i}") for s, a, b, k, i in conn.execute(lq)
    ]
    fixes = [
        CorrectionFact(s, aware(a), r, ap, cp, f"correction {i}")
        for s, a, r, ap, cp, i in conn.execute(cq)
    ]
    return punches, leaves, fixes


def roster_ids(conn: Connection) -> list[str]:
    """Staff judged by default: the active, and those who left on a known date."""
    return list(
        conn.execute(
            sa.select(STAFF.c.staff_id)
            .where(sa.or_(STAFF.c.active.is_(True), STAFF.c.leave_date.is_not(None)))
            .order_by(STAFF.c.staff_id)
        ).scalars()
    )


def employment(conn: Connection, zone: ZoneInfo) -> dict[str, Employment]:
    """Each staff member's first and last day; without a start date, the hall-local day added."""
    q = sa.select(STAFF.c.staff_id, STAFF.c.start_date, STAFF.c.leave_date, STAFF.c.created_at)
    out = {}
    for sid, first, last, created in conn.execute(q):
        if first is None and created is not None:
            first = aware(created).astimezone(zone).date()
        out[sid] = Employment(first, last)
    return out


def day_rows(record: DayRecord) -> list[dict[str, Any]]:
    """Rows of att_day for one judged staff-day."""
    return [
        {
            "staff_id": record.staff_id,
            "day": record.day,
            "checkpoint": c.checkpoint,
            "seq": i,
            "status": c.status.value,
            "minutes": c.minutes,
            "punch_at": c.punch.astimezone(UTC) if c.punch else None,
            "corrected": c.corrected,
            "leave_kind": c.leave_kind,
            "rule": c.rule,
            "early_punch": c.early_punch,
        }
        for i, c in enumerate(record.checkpoints)
    ]


def delete_days(conn: Connection, staff_id: str | None, start: date, end: date) -> None:
    """Delete judged rows of one staff member (or all) from `start` to `end` included."""
    q = sa.delete(DAY).where(DAY.c.day >= start, DAY.c.day <= end)
    if staff_id is not None:
        q = q.where(DAY.c.staff_id == staff_id)
    conn.execute(q)


def write_days(conn: Connection, records: Iterable[DayRecord]) -> int:
    """Insert the rows of judged staff-days (their old rows must be deleted first)."""
    rows = [r for rec in records for r in day_rows(rec)]
    for i in range(0, len(rows), 5000):
        conn.execute(sa.insert(DAY), rows[i : i + 5000])
    return len(rows)


def read_days(
    conn: Connection, start: date, end: date, staff_id: str | None = None
) -> list[dict[str, Any]]:
    """Stored judged rows from `start` to `end` included, ordered by staff, day, checkpoint."""
    q = sa.select(DAY).where(DAY.c.day >= start, DAY.c.day <= end)
    if staff_id is not None:
        q = q.where(DAY.c.staff_id == staff_id)
    q = q.order_by(DAY.c.staff_id, DAY.c.day, DAY.c.seq)
    out = []
    for row in conn.execute(q).mappings():
        item = dict(row)
        item["punch_at"] = aware(item["punch_at"]) if item["punch_at"] else None
        out.append(item)
    return out
