"""The demo hall's month so far (rules ATT-12, POST-8, DEV-1, DUTY-3, DUTY-4): every workday up
to today but the special day gets everyone's punches (a few late), judged for the rostered
staff only (DUTY-1), the duty chief's planned checks done (one missed) and opening checks
acknowledged (one late), a leader sitting in each Wednesday and an inspection after it.
hub.duty.demo seeds the roster and the special day, and calls `month_so_far`.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.duty.checks import CHECK, ITEM, plan_day
from hub.duty.chief_store import chief_on
from hub.duty.hallctx import HallDuty, load_duty_policy
from hub.duty.opening import ACK
from hub.duty.seam import roster_expected
from hub.duty.visits import record_inspection, register_sitting

OFFICE = "办公室"


def day_at(
    hd: HallDuty, day: date, hhmm: str, jitter: int = 0, rng: random.Random | None = None
) -> datetime:
    """`hhmm` hall time on `day`, moved up to `jitter` minutes either way by `rng`."""
    hh, mm = (int(x) for x in hhmm.split(":"))
    at = datetime.combine(day, time(hh, mm), hd.zone)
    return at + timedelta(minutes=rng.randint(-jitter, jitter) if rng and jitter else 0)


def day_punches(
    hd: HallDuty, day: date, staff: list[str], rng: random.Random, now: datetime
) -> list[Any]:
    """A workday's four punches of each of `staff` up to `now` (about 4 in 100 arrive late)."""
    from hub.attendance.facts import PunchFact

    out: list[Any] = []
    for s in staff:
        late = rng.random() < 0.04
        times = [
            day_at(hd, day, "08:42" if late else "08:18", 4, rng),
            day_at(hd, day, "12:03", 2, rng),
            day_at(hd, day, "13:20", 5, rng),
            day_at(hd, day, "17:36", 4, rng),
        ]
        out.extend(PunchFact(s, at) for at in times if at <= now)
    return out


def judge(engine: Engine, hd: HallDuty, punches: list[Any]) -> None:
    """Store the punches and judge their days, for the rostered staff only (DUTY-1)."""
    from hub.attendance.policy import load_policy
    from hub.attendance.projector import AttendanceProjector

    if punches:
        projector = AttendanceProjector(
            load_policy(hd.hall.attendance_policy, timezone=hd.hall.timezone),
            expected=roster_expected([hd.hall]),  # only rostered staff-days (DUTY-1)
        )
        projector.rejudge_punches(engine, punches)


def month_so_far(
    engine: Engine,
    hd: HallDuty,
    first: date,
    today: date,
    special: date,
    now: datetime,
    rng: random.Random,
) -> dict[str, int]:
    """Every workday of the month up to today but the special day: punches, checks, acks."""
    from hub.duty.roster_store import entries_between

    punches: list[Any] = []
    checks = acks = 0
    with engine.connect() as conn:
        entries, _ = entries_between(conn, hd.id, first, today)
    day = first
    while day <= today:
        if hd.is_workday(day) and day != special:
            staff = sorted({e.staff_id for e in entries if e.day == day})
            punches.extend(day_punches(hd, day, staff, rng, now))
            checks += _checks(engine, hd, day, rng, now, missed=day == first + timedelta(days=3))
            if hd.opening(day) <= now:
                acks += _ack(engine, hd, day, late=day == first + timedelta(days=8))
        day += timedelta(days=1)
    judge(engine, hd, punches)
    _visits(engine, hd, first, today, now)
    return {"punches": len(punches), "checks": checks, "acknowledged": acks}


def _checks(
    engine: Engine, hd: HallDuty, day: date, rng: random.Random, now: datetime, missed: bool
) -> int:
    with engine.begin() as conn:
        policy = load_duty_policy(conn, hd.id)
        found = chief_on(conn, hd, day)
        planned = plan_day(conn, hd, day, policy, found[0] if found else None, rng)
        done = 0
        for c in planned:
            if c["planned_at"] > now:
                continue  # not due yet
            if missed and c["slot"] == 2:
                conn.execute(
                    sa.update(CHECK)
                    .where(CHECK.c.id == c["id"])
                    .values(overdue_alerted_at=c["planned_at"] + timedelta(minutes=31))
                )
                continue
            at = c["planned_at"] + timedelta(minutes=rng.randint(0, 10))
            conn.execute(
                sa.update(CHECK)
                .where(CHECK.c.id == c["id"])
                .values(performed_at=at, checked_by=found[0] if found else "chief", note="抽查正常")
            )
            for seat, window in hd.seats():
                untidy = rng.random() < 0.05
                conn.execute(
                    sa.insert(ITEM).values(
                        check_id=c["id"],
                        seat=seat,
                        window=window,
                        staff_id=None,
                        basis="A",
                        sensed_on_post=True,
                        on_post=True,
                        badge=True,
                        sign=True,
                        desk=not untidy,
                        note="桌面杂乱" if untidy else "",
                    )
                )
            done += 1
    return done


def _ack(engine: Engine, hd: HallDuty, day: date, late: bool) -> int:
    with engine.begin() as conn:
        found = chief_on(conn, hd, day)
        due = hd.opening(day)
        at = due + timedelta(minutes=25) if late else due - timedelta(minutes=12)
        conn.execute(
            sa.insert(ACK).values(
                hall=hd.id,
                day=day,
                due_at=due,
                acknowledged_at=at,
                acknowledged_by=found[0] if found else "chief",
                chief=found[0] if found else None,
                problems=[],
                note="设备正常",
                alerted_at=due if late else None,
            )
        )
    return 1


def _visits(engine: Engine, hd: HallDuty, first: date, today: date, now: datetime) -> None:
    with engine.begin() as conn:
        policy = load_duty_policy(conn, hd.id)
        day = first
        week = 0
        while day < today:
            if day.weekday() == 2 and hd.is_workday(day):  # a leader sits in each Wednesday
                w = hd.hall.windows[week % len(hd.hall.windows)]
                registered = datetime.combine(day - timedelta(days=8), time(10), hd.zone)
                row = register_sitting(
                    conn,
                    hd,
                    leader=f"{w.name}分管领导",
                    leader_staff_id=None,
                    unit="派驻单位",
                    window=w.id,
                    day=day,
                    actor=OFFICE,
                    now=registered,
                    policy=policy,
                )
                from hub.duty.visits import SITTING

                conn.execute(
                    sa.update(SITTING)
                    .where(SITTING.c.id == row["id"])
                    .values(sat_at=day_at(hd, day, "09:30"), sat_source="operator")
                )
                at = day_at(hd, day, "15:10")
                record_inspection(
                    conn,
                    hd,
                    at=at,
                    kind="spot" if week % 2 == 0 else "unannounced",
                    inspector="督查考核科",
                    window=w.id,
                    staff_id=None,
                    problem=week == 1,
                    findings="工作牌未佩戴" if week == 1 else "在岗、着装规范",
                    actor=OFFICE,
                    now=at,
                )
                week += 1
            day += timedelta(days=1)
