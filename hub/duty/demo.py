"""The demo hall's duty data: a filed roster, duty chiefs, and the month so far (rules DUTY-1..5,
POST-7, ATT-7, POST-6, POST-8, DEV-1, ATT-12), so the dashboard shows all of it on first start.

On the latest workday up to today: A holder S021 is sick and B (S901) takes over w02-a; S041
is on annual leave with the spare S905 as substitute, who arrives late (09:10); S061 leaves
w06-a from 10:00 to 11:00 with S903 covering. Earlier workdays have everyone's punches (a few
late), the duty chief's checks and opening acknowledgements (one check missed, one
acknowledgement late), inspections, a leader's sittings and log entries (hub.duty.demo_month).
Seeding twice adds nothing: a month that has a roster is left as it is.
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.attendance.calendar import CalendarError
from hub.compliance.tables import CoverRow
from hub.duty.chief_store import add_log, chief_on, set_rotation
from hub.duty.demo_month import OFFICE, day_at, day_punches, judge, month_so_far
from hub.duty.demo_roster import BACKUPS, SPARE, chief_order, month_roster
from hub.duty.hallctx import HallDuty, load_duty_policy
from hub.duty.ledger_store import hall_duty
from hub.duty.roster import month_key
from hub.duty.roster_store import file_roster, version_in_force
from hub.duty.seam import roster_expected, roster_seats
from hub.staff.tables import Staff
from models.layout import Hall

logger = logging.getLogger(__name__)
STAFF = Staff.__table__  # type: ignore[attr-defined]
COVER = CoverRow.__table__  # type: ignore[attr-defined]
SICK, AWAY, COVERED = "S021", "S041", "S061"


def _backups(engine: Engine, hall: Hall, now: datetime) -> None:
    """The backup staff (each B of a one-seat window has that window) and the spare."""
    one_seat = [w.id for w in hall.windows if len(w.seats) == 1]
    with engine.begin() as conn:
        for i, (staff_id, name) in enumerate(BACKUPS):
            if conn.execute(
                sa.select(STAFF.c.staff_id).where(STAFF.c.staff_id == staff_id)
            ).first():
                continue
            window = one_seat[i] if staff_id != SPARE and i < len(one_seat) else None
            conn.execute(
                sa.insert(STAFF).values(
                    staff_id=staff_id,
                    hall=hall.id,
                    name=name,
                    unit="行政审批局",
                    window=window,
                    active=True,
                    created_at=now,
                )
            )


def scenario_day(hd: HallDuty, today: date) -> date:
    """The latest workday up to `today` (the demo's special day)."""
    day = today
    while not hd.is_workday(day):
        day -= timedelta(days=1)
    return day


def seed_duty(
    engine: Engine,
    hall: Hall,
    now: datetime,
    *,
    rng: random.Random | None = None,
    special: date | None = None,
) -> dict[str, Any]:
    """Seed the month of `now` up to `now` (and roster the next month when the calendar knows
    it); `special` is the day of the sick A, the late substitute and the cover (default: the
    latest workday up to today)."""
    rng = rng or random.Random(16)
    hd = hall_duty(hall)
    month = month_key(hd.local_day(now))
    with engine.connect() as conn:
        if version_in_force(conn, hd.id, month) is not None:
            return {"seeded": 0, "month": month}
    today = hd.local_day(now)
    try:
        hd.is_workday(today)
    except CalendarError as exc:  # a year the national calendar does not know: say so, go on
        logger.warning("demo duty data not seeded: %s", exc)
        return {"seeded": 0, "month": month}
    _backups(engine, hall, now)
    first = today.replace(day=1)
    filed = datetime.combine(first - timedelta(days=5), time(9), hd.zone)
    with engine.begin() as conn:
        file_roster(
            conn,
            hd,
            month,
            month_roster(hall, month, hd.is_workday),
            actor=OFFICE,
            now=filed,
            source="demo",
            why="示范大厅月度排班",
        )
        set_rotation(
            conn,
            hd.id,
            anchor=first - timedelta(days=first.weekday()),
            order=chief_order(hall),
            term_days=load_duty_policy(conn, hd.id).rotation.term_days,
            actor=OFFICE,
            now=filed,
            why="中心排定值班长轮值顺序",
        )
    _next_month(engine, hd, today, now)
    special = special or scenario_day(hd, today)
    counts: dict[str, Any] = dict(month_so_far(engine, hd, first, today, special, now, rng))
    counts["month"], counts["special_day"] = month, special.isoformat()
    counts.update(_special(engine, hd, special, now))
    counts.update({"seeded": 1})
    logger.info("demo duty data: %s", counts)
    return counts


def _next_month(engine: Engine, hd: HallDuty, today: date, now: datetime) -> None:
    nxt = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    try:
        entries = month_roster(hd.hall, month_key(nxt), hd.is_workday)
    except CalendarError:  # the national calendar does not know next year yet
        return
    with engine.begin() as conn:
        file_roster(conn, hd, month_key(nxt), entries, actor=OFFICE, now=now, source="demo")


def _special(engine: Engine, hd: HallDuty, day: date, now: datetime) -> dict[str, int]:
    """The special day: sick A replaced by B, a late substitute, a cover (POST-7, ATT-7, POST-6)."""
    from hub.attendance.policy import load_policy
    from hub.attendance.projector import AttendanceProjector
    from hub.attendance.workflow import AttendanceWorkflow

    start = datetime.combine(day, time(0), hd.zone)
    end = start + timedelta(days=1) - timedelta(seconds=1)  # the whole day, not the next
    projector = AttendanceProjector(
        load_policy(hd.hall.attendance_policy, timezone=hd.hall.timezone),
        expected=roster_expected([hd.hall]),
    )
    wf = AttendanceWorkflow(
        engine,
        projector,
        lambda: min(now, day_at(hd, day, "07:40")),
        roster_seats([hd.hall]),
    )
    wf.add_substitute(
        actor=OFFICE,
        hall=hd.id,
        window="w04",
        staff_id=AWAY,
        substitute_id=SPARE,
        start=start,
        end=end,
        why="年假替岗",
    )
    approved = {}
    for staff, kind, why in ((SICK, "sick", "发烧，二级医院病假证明"), (AWAY, "annual", "年休假")):
        leave = wf.request_leave(
            actor=staff,
            staff_id=staff,
            kind=kind,
            start=start,
            end=end,
            reason=why,
            certificate="县人民医院 病假证明" if kind == "sick" else "",  # rule ATT-5 (003)
        )
        wf.decide_leave(actor="科室负责人", leave_id=leave, stage="department", approve=True)
        wf.decide_leave(actor="督查考核科", leave_id=leave, stage="office", approve=True)
        approved[staff] = leave
    with engine.begin() as conn:
        found = chief_on(conn, hd, day)
        chief = found[0] if found else "S011"
        conn.execute(
            sa.insert(COVER).values(
                hall=hd.id,
                seat="w06-a",
                staff_id=COVERED,
                cover_staff_id="S903",
                start=day_at(hd, day, "10:00").astimezone(UTC),
                end=day_at(hd, day, "11:00").astimezone(UTC),
                reason="参加业务会议",
                status="approved",
                requested_at=day_at(hd, day, "08:40").astimezone(UTC),
                approved_at=day_at(hd, day, "08:45").astimezone(UTC),
                approved_by=chief,
                approver_role="duty_chief",
            )
        )
        add_log(
            conn,
            hd,
            day=day,
            author=chief,
            kind="note",
            now=min(now, day_at(hd, day, "08:50")),
            today=day,
            text=f"{SICK} 病假，B岗 S901 自动顶岗；{AWAY} 年假，S905 替岗；"
            f"{COVERED} 10:00-11:00 会议，S903 顶岗。",
        )
    from hub.duty.roster_store import entries_between

    with engine.connect() as conn:
        entries, _ = entries_between(conn, hd.id, day, day)
    present = sorted({e.staff_id for e in entries} - {SICK, AWAY})
    punches = day_punches(hd, day, present, random.Random(day.toordinal()), now)
    from hub.attendance.facts import PunchFact

    late = day_at(hd, day, "09:10")
    if late <= now:
        punches.append(PunchFact(SPARE, late))  # the substitute arrives late (ATT-7)
    judge(engine, hd, punches)
    return {"special_punches": len(punches)}
