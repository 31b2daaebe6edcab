"""The post ledger's facts from the database, and the one function every area asks:
`holder_at(conn, hall, seat, at)` (ARCHITECTURE: who holds each seat is one answer).

Facts read: the roster in force (hub.duty.roster_store), approved leave (att_leave),
substitutes (att_substitute), approved covers (compliance_cover), the day's punches (att_punch,
first per staff; those at a window's face terminal are faces seen at the seat) and the seats'
presence marks (compliance_mark). Read-only: the ledger is derived, never stored as truth.

Every bound may be given in the hall's zone: the columns are `UtcDateTime` (hub.dbtypes), which
binds UTC, as SQLite (comparing text) needs. Punches are this hall's only (an imported one
names its staff member's hall).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.attendance.tables import AttLeave, AttPunch, AttSubstitute
from hub.compliance.tables import ComplianceMark, CoverRow
from hub.dbtypes import aware
from hub.duty.hallctx import HallDuty, load_duty_policy
from hub.duty.ledger import (
    Absence,
    Basis,
    DayFacts,
    FaceSeen,
    Holding,
    LedgerDay,
    SeatRoster,
    StandIn,
    build_ledger,
)
from hub.duty.roster_store import active_staff, seat_rosters
from models.devices import face_terminal
from models.layout import Hall

LEAVE = AttLeave.__table__  # type: ignore[attr-defined]
PUNCH = AttPunch.__table__  # type: ignore[attr-defined]
SUB = AttSubstitute.__table__  # type: ignore[attr-defined]
COVER = CoverRow.__table__  # type: ignore[attr-defined]
MARK = ComplianceMark.__table__  # type: ignore[attr-defined]


def absences(
    conn: Connection, staff: Sequence[str], start: datetime, end: datetime
) -> list[Absence]:
    """Approved leave of these staff overlapping [start, end) (rule ATT-5)."""
    if not staff:
        return []
    q = sa.select(
        LEAVE.c.id, LEAVE.c.staff_id, LEAVE.c.start, LEAVE.c.end, LEAVE.c.kind, LEAVE.c.office_at
    ).where(
        LEAVE.c.status == "approved",
        LEAVE.c.staff_id.in_(sorted(set(staff))),
        LEAVE.c.start < end,
        LEAVE.c.end > start,
    )
    second = timedelta(seconds=1)  # attendance's leave end is included (ATT-5): end + 1 s
    return [
        Absence(s, aware(a), aware(b) + second, k, aware(ok), i)
        for i, s, a, b, k, ok in conn.execute(q)
    ]


def stand_ins(conn: Connection, hall: Hall, start: datetime, end: datetime) -> list[StandIn]:
    """Substitutes (ATT-7) at the hall's windows and approved covers (POST-6) in [start, end).

    A substitute is matched by hall and window: another hall's window of the same name is
    another window (rule ATT-7)."""
    windows = [w.id for w in hall.windows]
    out: list[StandIn] = []
    q = sa.select(SUB).where(
        SUB.c.hall == hall.id, SUB.c.window.in_(windows), SUB.c.start < end, SUB.c.end > start
    )
    for r in conn.execute(q):
        out.append(
            StandIn(
                Basis.SUBSTITUTE,
                r.substitute_id,
                aware(r.start),
                aware(r.end) + timedelta(seconds=1),  # its end is included, as a leave's
                for_staff=r.staff_id,
                window=r.window,
                leave_id=r.leave_id,
                id=r.id,
            )
        )
    q = sa.select(COVER).where(
        COVER.c.hall == hall.id,
        COVER.c.status == "approved",
        COVER.c.start < end,
        COVER.c.end > start,
    )
    for r in conn.execute(q):
        if r.cover_staff_id:
            out.append(
                StandIn(
                    Basis.COVER,
                    r.cover_staff_id,
                    aware(r.start),
                    aware(r.end),
                    for_staff=r.staff_id,
                    seat=r.seat,
                    id=r.id,
                )
            )
    return out


def punches(
    conn: Connection, hall: Hall, start: datetime, end: datetime
) -> tuple[dict[str, datetime], list[FaceSeen]]:
    """First punch per staff member in [start, end), and the punches at windows' terminals.

    Only this hall's punches (an imported one names its staff member's hall): on a hub serving
    several halls another hall's punch is no arrival here, nor its terminal's face one at this
    seat, and it never makes this hall's day one "with punches" (rules DUTY-1, RATE-2).
    """
    at_window = {
        d.id: (d.window, d.seat)
        for d in hall.devices
        if d.kind == face_terminal.KIND and d.window is not None
    }
    q = (
        sa.select(PUNCH.c.staff_id, PUNCH.c.at, PUNCH.c.device)
        .where(PUNCH.c.hall == hall.id, PUNCH.c.at >= start, PUNCH.c.at < end)
        .order_by(PUNCH.c.at)
    )
    first: dict[str, datetime] = {}
    faces: list[FaceSeen] = []
    for staff, at, device in conn.execute(q):
        at = aware(at)
        first.setdefault(staff, at)
        place = at_window.get(device)
        if place is not None and place[0] is not None:
            faces.append(FaceSeen(at, staff, place[0], place[1]))
    return first, faces


def presence(
    conn: Connection, hall: str, day: date
) -> dict[str, list[tuple[datetime, datetime | None]]]:
    """Occupied intervals per seat from the radar's presence marks of the day."""
    q = (
        sa.select(MARK.c.subject, MARK.c.at, MARK.c.on)
        .where(MARK.c.hall == hall, MARK.c.day == day, MARK.c.kind == "presence")
        .order_by(MARK.c.at, MARK.c.event_id)
    )
    out: dict[str, list[tuple[datetime, datetime | None]]] = {}
    since: dict[str, datetime] = {}
    for seat, at, on in conn.execute(q):
        at = aware(at)
        ivs = out.setdefault(seat, [])
        if on and seat not in since:
            since[seat] = at
        elif not on and seat in since:
            ivs.append((since.pop(seat), at))
    for seat, at in since.items():
        out[seat].append((at, None))
    return out


def day_facts(
    conn: Connection, hd: HallDuty, day: date, seats: Sequence[SeatRoster] | None = None
) -> DayFacts:
    """Everything the ledger needs for one hall-day, read from the facts."""
    start, end = hd.day_bounds(day)
    seats = list(seats) if seats is not None else seat_rosters(conn, hd, day)
    subs = stand_ins(conn, hd.hall, start, end)
    people = {x for s in seats for x in (s.a, s.b) if x} | {s.for_staff or "" for s in subs}
    first, faces = punches(conn, hd.hall, start, end)
    return DayFacts(
        day=day,
        opening=hd.opening(day),
        closing=hd.closing(day),
        seats=seats,
        absences=absences(conn, sorted(people - {""}), start, end),
        stand_ins=subs,
        arrivals=first,
        presence=presence(conn, hd.id, day),
        faces=faces,
        punchers=frozenset(active_staff(conn, hd.id)),
        punches_known=bool(first),
        notice_days=load_duty_policy(conn, hd.id).handover.notice_days,
        day_start=start,
        day_end=end,
    )


def ledger_day(conn: Connection, hd: HallDuty, day: date) -> LedgerDay:
    """The post ledger of one hall-day (rules DUTY-1, POST-7, ATT-7, POST-6)."""
    return build_ledger(day_facts(conn, hd, day))


_HALLS: dict[tuple[str, int], HallDuty] = {}


def hall_duty(hall: Hall) -> HallDuty:
    """The HallDuty of a hall layout (one per layout object: layouts are frozen)."""
    key = (hall.id, id(hall))
    found = _HALLS.get(key)
    if found is None or found.hall is not hall:
        found = _HALLS[key] = HallDuty(hall)
    return found


def holder_at(conn: Connection, hall: Hall, seat: str, at: datetime) -> Holding | None:
    """Who holds `seat` at `at`, and why: the answer attendance, compliance, ratings and the
    hall map all read (rule RATE-2: ratings bind to the person actually serving)."""
    hd = hall_duty(hall)
    return ledger_day(conn, hd, hd.local_day(at)).holder_at(seat, at)
