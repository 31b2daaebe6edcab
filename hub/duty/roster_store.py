"""The roster in the database: versions filed, entries in force, overtime, expected staff-days.

A month's roster is filed as a whole new version (import, or an edit of the version in force);
the highest version is in force; every filing is audited with what it added and removed, and
flagged late when filed after the deadline (rule DUTY-1). A month with no roster falls back to
the standing seat assignments (compliance_assignment) so a hall without one keeps working.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.compliance.tables import SeatAssignment
from hub.duty.hallctx import HallDuty, audit_in
from hub.duty.ledger import SeatRoster
from hub.duty.roster import Change, Role, RosterEntry, dedupe, diff, filing_deadline, month_key
from hub.duty.tables import OvertimeRow, RosterEntryRow, RosterVersion
from hub.staff.tables import Staff

logger = logging.getLogger(__name__)
VERSION = RosterVersion.__table__  # type: ignore[attr-defined]
ENTRY = RosterEntryRow.__table__  # type: ignore[attr-defined]
OVERTIME = OvertimeRow.__table__  # type: ignore[attr-defined]
ASSIGN = SeatAssignment.__table__  # type: ignore[attr-defined]
STAFF = Staff.__table__  # type: ignore[attr-defined]


def version_in_force(conn: Connection, hall: str, month: str) -> dict[str, Any] | None:
    """The highest version of the hall's month, or None."""
    row = (
        conn.execute(
            sa.select(VERSION)
            .where(VERSION.c.hall == hall, VERSION.c.month == month)
            .order_by(VERSION.c.version.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def versions(conn: Connection, hall: str, month: str) -> list[dict[str, Any]]:
    """Every filing of a month, newest first."""
    q = (
        sa.select(VERSION)
        .where(VERSION.c.hall == hall, VERSION.c.month == month)
        .order_by(VERSION.c.version.desc())
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def _entries(conn: Connection, version_id: int) -> list[RosterEntry]:
    q = sa.select(ENTRY).where(ENTRY.c.version_id == version_id)
    return [
        RosterEntry(r.staff_id, r.day, r.window, r.seat, Role(r.role), bool(r.holiday))
        for r in conn.execute(q)
    ]


def month_entries(conn: Connection, hall: str, month: str) -> list[RosterEntry]:
    """The entries in force for a month (empty when none was filed)."""
    v = version_in_force(conn, hall, month)
    return dedupe(_entries(conn, v["id"])) if v else []


def _months(start: date, end: date) -> list[str]:
    out, d = [], date(start.year, start.month, 1)
    while d <= end:
        out.append(month_key(d))
        d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return out


def entries_between(
    conn: Connection, hall: str, start: date, end: date
) -> tuple[list[RosterEntry], set[str]]:
    """Entries in force from `start` to `end`, and the months that have a roster."""
    out: list[RosterEntry] = []
    rostered: set[str] = set()
    for month in _months(start, end):
        entries = month_entries(conn, hall, month)
        if entries:
            rostered.add(month)
        out.extend(e for e in entries if start <= e.day <= end)
    return out, rostered


def standing_seats(conn: Connection, hd: HallDuty) -> list[SeatRoster]:
    """The standing seat assignments as a roster (months with no roster filed)."""
    assigned = {
        r.seat: r.staff_id for r in conn.execute(sa.select(ASSIGN).where(ASSIGN.c.hall == hd.id))
    }
    return [SeatRoster(seat, window, a=assigned.get(seat)) for seat, window in hd.seats()]


def seat_rosters(conn: Connection, hd: HallDuty, day: date) -> list[SeatRoster]:
    """Each seat's A and B holders on `day` (rule DUTY-1), in the hall's seat order."""
    entries, rostered = entries_between(conn, hd.id, day, day)
    if month_key(day) not in rostered:
        return standing_seats(conn, hd)
    return seats_from_entries(hd, entries)


def seats_from_entries(hd: HallDuty, entries: Iterable[RosterEntry]) -> list[SeatRoster]:
    """One day's entries as SeatRosters."""
    a: dict[str, str] = {}
    b: dict[str, str] = {}
    for e in entries:
        if e.seat and e.role is Role.A:
            a[e.seat] = e.staff_id
        elif e.seat and e.role is Role.B:
            b[e.seat] = e.staff_id
    return [SeatRoster(s, w, a.get(s), b.get(s)) for s, w in hd.seats()]


def active_staff(conn: Connection, hall: str) -> list[str]:
    """The hall's active staff (the fallback roster when no month is filed)."""
    q = sa.select(STAFF.c.staff_id).where(STAFF.c.hall == hall, STAFF.c.active.is_(True))
    return sorted(conn.execute(q).scalars())


def staff_names(conn: Connection) -> dict[str, str]:
    """Staff id -> name."""
    return {s: n for s, n in conn.execute(sa.select(STAFF.c.staff_id, STAFF.c.name))}


def stand_in_pairs(conn: Connection, hd: HallDuty, start: date, end: date) -> set[tuple[str, date]]:
    """The days a substitute or cover stands in (ATT-7, POST-6): they are expected then."""
    from hub.duty.ledger_store import stand_ins

    pairs: set[tuple[str, date]] = set()
    t0, _ = hd.day_bounds(start)
    _, t1 = hd.day_bounds(end)
    for s in stand_ins(conn, hd.hall, t0, t1):
        day = max(hd.local_day(s.start), start)
        while day <= min(hd.local_day(s.end - timedelta(seconds=1)), end):
            pairs.add((s.staff_id, day))
            day += timedelta(days=1)
    return pairs


def expected_pairs(conn: Connection, hd: HallDuty, start: date, end: date) -> set[tuple[str, date]]:
    """Who is expected at work on which day (rule DUTY-1): the roster in force and the days a
    substitute or cover stands in; for a month with no roster filed, every active staff member
    on every workday (as before the roster)."""
    entries, rostered = entries_between(conn, hd.id, start, end)
    pairs = {(e.staff_id, e.day) for e in entries} | stand_in_pairs(conn, hd, start, end)
    everyone = None
    day = start
    while day <= end:
        if month_key(day) not in rostered and hd.is_workday(day):
            everyone = everyone if everyone is not None else active_staff(conn, hd.id)
            pairs.update((s, day) for s in everyone)
        day += timedelta(days=1)
    return pairs


def file_roster(
    conn: Connection,
    hd: HallDuty,
    month: str,
    entries: Sequence[RosterEntry],
    *,
    actor: str,
    now: datetime,
    source: str = "edit",
    filename: str = "",
    why: str = "",
) -> dict[str, Any]:
    """File a new version of a month's roster; audited, overtime recorded, late flagged."""
    entries = dedupe(entries)
    old = version_in_force(conn, hd.id, month)
    before = _entries(conn, old["id"]) if old else []
    deadline = filing_deadline(month, hd.zone)
    policy_days = _filing_days(conn, hd.id)
    late = now >= deadline - timedelta(days=policy_days)  # rule DUTY-1
    values = {
        "hall": hd.id,
        "month": month,
        "version": (old["version"] + 1) if old else 1,
        "filed_at": now,
        "filed_by": actor,
        "source": source,
        "filename": filename[:200],
        "why": why[:500],
        "late": late,
        "entries": len(entries),
    }
    key = conn.execute(sa.insert(VERSION).values(**values)).inserted_primary_key
    assert key is not None
    version_id = int(key[0])
    if entries:
        conn.execute(
            sa.insert(ENTRY),
            [
                {
                    "version_id": version_id,
                    "hall": hd.id,
                    "day": e.day,
                    "window": e.window,
                    "seat": e.seat,
                    "staff_id": e.staff_id,
                    "role": e.role.value,
                    "holiday": e.holiday,
                }
                for e in entries
            ],
        )
    _record_overtime(conn, hd.id, entries, now)
    changes = diff(before, entries)
    _audit(conn, actor, hd.id, month, values, changes, why, now)
    if late:
        logger.warning("roster %s %s v%d filed late by %s", hd.id, month, values["version"], actor)
    return {**values, "id": version_id, "changes": len(changes)}


def _filing_days(conn: Connection, hall: str) -> int:
    from hub.duty.hallctx import load_duty_policy

    return load_duty_policy(conn, hall).roster.filing_days_before


def _record_overtime(
    conn: Connection, hall: str, entries: Iterable[RosterEntry], now: datetime
) -> None:
    """Rule ATT-10 / 002: holiday duty by appointment is overtime (加班) awaiting approval."""
    wanted = {(e.staff_id, e.day): e.window for e in entries if e.holiday}
    for (staff, day), window in wanted.items():
        exists = conn.execute(
            sa.select(OVERTIME.c.id).where(
                OVERTIME.c.hall == hall, OVERTIME.c.staff_id == staff, OVERTIME.c.day == day
            )
        ).first()
        if exists is None:
            conn.execute(
                sa.insert(OVERTIME).values(
                    hall=hall,
                    staff_id=staff,
                    day=day,
                    window=window,
                    status="pending",
                    note="",
                    created_at=now,
                )
            )


def _audit(
    conn: Connection,
    actor: str,
    hall: str,
    month: str,
    values: dict[str, Any],
    changes: Sequence[Change],
    why: str,
    now: datetime,
) -> None:
    shown = [
        {
            "action": c.action,
            "day": c.entry.day.isoformat(),
            "seat": c.entry.seat or c.entry.window,
            "role": c.entry.role.value,
            "staff_id": c.entry.staff_id,
        }
        for c in changes[:500]
    ]
    audit_in(
        conn,
        actor=actor,
        action="roster.file",
        entity="roster",
        entity_id=f"{hall}/{month}/v{values['version']}",
        why=why,
        after={"late": values["late"], "entries": values["entries"], "changes": shown},
        at=now,
    )


def by_day(entries: Iterable[RosterEntry]) -> dict[date, list[RosterEntry]]:
    """Entries grouped by day."""
    out: dict[date, list[RosterEntry]] = defaultdict(list)
    for e in entries:
        out[e.day].append(e)
    return out
