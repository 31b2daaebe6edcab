"""The demo hall's roster and duty chiefs (rules DUTY-1, DUTY-2, POST-7), as a hall office would
file them: each seat's A holder is the person seated there (S<window><position>); a two-seat
window's seats back each other up (B) and have a chief representative; a one-seat window's B
is one of the backup staff (备岗) S901-S904; S905 is the spare who substitutes (ATT-7).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from hub.duty.roster import Role, RosterEntry, month_days
from models.layout import Hall

BACKUPS = (
    ("S901", "孙丽"),
    ("S902", "马超"),
    ("S903", "朱琳"),
    ("S904", "胡斌"),
    ("S905", "郭颖"),
)
"""The demo hall's backup staff (备岗人员) and its spare, beside the seated staff."""
SPARE = "S905"


def seat_staff(hall: Hall) -> dict[str, str]:
    """The staff member seated at each seat (the demo's staff ids, as hub.demo.seed makes them)."""
    return {seat: f"S{w.number:02d}{i + 1}" for w in hall.windows for i, seat in enumerate(w.seats)}


def day_entries(hall: Hall, day: date, holiday: bool = False) -> list[RosterEntry]:
    """One day of the demo roster."""
    staff = seat_staff(hall)
    out: list[RosterEntry] = []
    backup = 0
    for w in hall.windows:
        for seat in w.seats:
            out.append(RosterEntry(staff[seat], day, w.id, seat, Role.A, holiday))
        if len(w.seats) >= 2:
            for i, seat in enumerate(w.seats):
                other = w.seats[(i + 1) % len(w.seats)]
                out.append(RosterEntry(staff[other], day, w.id, seat, Role.B, holiday))
            out.append(RosterEntry(staff[w.seats[0]], day, w.id, None, Role.CHIEF, holiday))
        else:
            b = BACKUPS[backup % 4][0]
            backup += 1
            out.append(RosterEntry(b, day, w.id, w.seats[0], Role.B, holiday))
    return out


def month_roster(hall: Hall, month: str, is_workday: Callable[[date], bool]) -> list[RosterEntry]:
    """Every workday of a month (rule DUTY-1)."""
    first, last = month_days(month)
    out: list[RosterEntry] = []
    day = first
    while day <= last:
        if is_workday(day):
            out.extend(day_entries(hall, day))
        day += timedelta(days=1)
    return out


def chief_order(hall: Hall) -> list[str]:
    """The centre's order of duty chiefs: the first seat of each window in turn (DUTY-2)."""
    staff = seat_staff(hall)
    return [staff[w.seats[0]] for w in hall.windows][:6]
