"""The simulated halls' staff, roster and duty chiefs, filed in the hub before the day starts.

Per hall (rules DUTY-1, DUTY-2, POST-7, ATT-7): each window's A holder is the staff member of
the window (hub.simulate.layout.staff_of), the hall's backup is B of every seat, window 1's A
is the chief representative; the roster covers the month's workdays and the simulated day
(holiday duty by appointment when that day is not a workday: overtime awaiting approval). The
centre's order of duty chiefs starts with the backup. On the simulated day window 1's A is sick
(leave approved the day before: a planned handover to B) and window 2's A is on annual leave
with the spare as substitute, who arrives late (hub.simulate.plan). The leaves go through the
attendance workflow, as an office would file them.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.attendance.calendar import CalendarError
from hub.duty.chief_store import set_rotation
from hub.duty.hallctx import HallDuty
from hub.duty.ledger_store import hall_duty
from hub.duty.roster import Role, RosterEntry, month_days, month_key
from hub.duty.roster_store import file_roster
from hub.duty.seam import roster_expected, roster_seats
from hub.simulate.layout import backup_of, on_leave, spare_of, staff_of
from hub.staff.tables import Staff
from models.layout import Hall

logger = logging.getLogger(__name__)
STAFF = Staff.__table__  # type: ignore[attr-defined]
OFFICE = "模拟办公室"


def _staff(engine: Engine, hall: Hall, now: datetime, day: date) -> None:
    """The hall's staff (with the hall for months already): one per window, backup, spare."""
    people: list[tuple[str, str, str | None]] = [
        (staff_of(hall.id, w.number), f"窗口{w.number}员工", w.id) for w in hall.windows
    ]
    people += [(backup_of(hall.id), "备岗人员", None), (spare_of(hall.id), "替岗人员", None)]
    with engine.begin() as conn:
        known = set(
            conn.execute(sa.select(STAFF.c.staff_id).where(STAFF.c.hall == hall.id)).scalars()
        )
        rows = [
            {
                "staff_id": sid,
                "hall": hall.id,
                "name": name,
                "unit": "模拟单位",
                "window": window,
                "active": True,
                "created_at": now,
                "start_date": day - timedelta(days=90),
            }
            for sid, name, window in people
            if sid not in known
        ]
        if rows:
            conn.execute(sa.insert(STAFF), rows)


def _workday(hd: HallDuty, day: date) -> bool:
    try:
        return hd.is_workday(day)
    except CalendarError:  # a year the national calendar does not know: weekdays
        return day.weekday() < 5


def day_entries(hall: Hall, day: date, holiday: bool) -> list[RosterEntry]:
    """One day of a simulated hall's roster (rule DUTY-1)."""
    backup = backup_of(hall.id)
    out: list[RosterEntry] = []
    for w in hall.windows:
        a = staff_of(hall.id, w.number)
        for seat in w.seats:
            out.append(RosterEntry(a, day, w.id, seat, Role.A, holiday))
            out.append(RosterEntry(backup, day, w.id, seat, Role.B, holiday))
    first = hall.windows[0]
    out.append(
        RosterEntry(staff_of(hall.id, first.number), day, first.id, None, Role.CHIEF, holiday)
    )
    return out


def _roster(engine: Engine, hd: HallDuty, day: date) -> int:
    """The month's roster, filed before the month began, and the centre's order of chiefs."""
    month = month_key(day)
    first, last = month_days(month)
    entries: list[RosterEntry] = []
    d = first
    while d <= last:
        work = _workday(hd, d)
        if work or d == day:
            entries.extend(day_entries(hd.hall, d, holiday=not work))
        d += timedelta(days=1)
    filed = datetime.combine(first - timedelta(days=3), time(9), hd.zone)
    order = [backup_of(hd.id), *(staff_of(hd.id, w.number) for w in hd.hall.windows)]
    with engine.begin() as conn:
        file_roster(
            conn, hd, month, entries, actor=OFFICE, now=filed, source="simulator", why="模拟排班"
        )
        set_rotation(
            conn,
            hd.id,
            anchor=day - timedelta(days=day.weekday()),
            order=order,
            term_days=14,
            actor=OFFICE,
            now=filed,
            why="模拟值班长轮值",
        )
    return len(entries)


def _leaves(engine: Engine, hd: HallDuty, day: date) -> int:
    """The day's sick A (B takes over) and A on annual leave with the spare (ATT-7, POST-7)."""
    from hub.attendance.policy import load_policy
    from hub.attendance.projector import AttendanceProjector
    from hub.attendance.workflow import AttendanceWorkflow

    start = datetime.combine(day, time(0), hd.zone)
    end = start + timedelta(days=1) - timedelta(seconds=1)
    approved_at = start - timedelta(hours=8)  # the afternoon before: a planned handover
    projector = AttendanceProjector(
        load_policy(hd.hall.attendance_policy, timezone=hd.hall.timezone),
        expected=roster_expected([hd.hall]),
    )
    wf = AttendanceWorkflow(engine, projector, lambda: approved_at, roster_seats([hd.hall]))
    n = 0
    for number, kind in sorted(on_leave(len(hd.hall.windows)).items()):
        staff = staff_of(hd.id, number)
        if kind == "annual":
            window = next(w.id for w in hd.hall.windows if w.number == number)
            wf.add_substitute(
                actor=OFFICE,
                hall=hd.id,
                window=window,
                staff_id=staff,
                substitute_id=spare_of(hd.id),
                start=start,
                end=end,
                why="年假替岗",
            )
        leave = wf.request_leave(
            actor=staff,
            staff_id=staff,
            kind=kind,
            start=start,
            end=end,
            reason="病假" if kind == "sick" else "年休假",
            certificate="模拟医院 病假证明" if kind == "sick" else "",  # rule ATT-5
        )
        wf.decide_leave(actor="科室负责人", leave_id=leave, stage="department", approve=True)
        wf.decide_leave(actor="督查考核科", leave_id=leave, stage="office", approve=True)
        n += 1
    return n


def seed_duty(engine: Engine, halls: list[Hall], start: datetime) -> dict[str, int]:
    """Staff, roster, duty chiefs and the day's leaves of every simulated hall."""
    counts = {"roster_entries": 0, "leaves": 0}
    for hall in halls:
        hd = hall_duty(hall)
        day = hd.local_day(start)
        _staff(engine, hall, start, day)
        counts["roster_entries"] += _roster(engine, hd, day)
        counts["leaves"] += _leaves(engine, hd, day)
    logger.info("simulated duty: %s", counts)
    return counts
