"""What attendance asks the roster (its seam, hub.attendance.projector / .seats): who is expected
at work on which day (rule DUTY-1), and at which window each one holds a seat that day (the
substitute check of rule ATT-7). A month with no roster filed keeps attendance's own answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.engine import Connection

from hub.attendance.engine import Expected, Judge
from hub.attendance.projector import ExpectedSource, by_employment
from hub.attendance.seats import SeatReader, staff_table_holders
from hub.attendance.store import staff_halls_all
from hub.duty.ledger_store import hall_duty
from hub.duty.roster import Role, month_key
from hub.duty.roster_store import entries_between, stand_in_pairs
from models.layout import Hall


def roster_expected(halls: Sequence[Hall]) -> ExpectedSource:
    """Expected staff-days from the halls' rosters, substitutes and covers (DUTY-1, ATT-7): a
    hall's roster speaks for its own staff; another hall's staff keep their own hall's answer."""

    def source(conn: Connection, judge: Judge, start: date, end: date) -> Expected:
        pairs: set[tuple[str, date]] = set()
        rostered: dict[str, set[str]] = {}
        for hall in halls:
            hd = hall_duty(hall)
            entries, months = entries_between(conn, hd.id, start, end)
            pairs.update((e.staff_id, e.day) for e in entries)
            pairs.update(stand_in_pairs(conn, hd, start, end))
            rostered[hall.id] = months
        home = home_halls(conn, halls)
        first = halls[0].id if halls else ""
        default = by_employment(conn, judge, start, end)

        def expect(staff_id: str, day: date) -> bool:
            if (staff_id, day) in pairs:
                return True  # rostered, holiday duty included, or standing in
            months = rostered.get(home.get(staff_id, first), set())
            return month_key(day) not in months and default(staff_id, day)

        return expect

    return source


def roster_seats(halls: Sequence[Hall]) -> SeatReader:
    """Staff id -> window whose seat they hold (A or B) that day, from the roster in force in
    their hall (the staff list's windows for a hall with no roster that month)."""

    def read(conn: Connection, day: date) -> dict[str, str]:
        holders: dict[str, str] = {}
        listed: dict[str, str] | None = None
        home = home_halls(conn, halls)
        first = halls[0].id if halls else ""
        for hall in halls:
            entries, months = entries_between(conn, hall.id, day, day)
            if not months:
                listed = staff_table_holders(conn, day) if listed is None else listed
                for sid, window in listed.items():
                    if home.get(sid, first) == hall.id:
                        holders.setdefault(sid, window)
                continue
            for e in sorted(entries, key=lambda e: e.role is not Role.A):
                if e.role is not Role.CHIEF:
                    holders.setdefault(e.staff_id, e.window)
        return holders if halls else staff_table_holders(conn, day)

    return read


def home_halls(conn: Connection, halls: Sequence[Hall]) -> dict[str, str]:
    """Staff id -> their hall (the staff list's), the first hall for a hall not served."""
    served = {h.id for h in halls}
    first = halls[0].id if halls else ""
    return {s: h if h in served else first for s, h in staff_halls_all(conn).items()}
