"""Arriving early (rule ATT-12): each rostered staff member's first punch against opening time,
the day's duty chief held to the longer lead; judged per day, reported per week and month."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.engine import Connection

from hub.duty.chief_store import chief_on
from hub.duty.hallctx import HallDuty, load_duty_policy
from hub.duty.ledger_store import absences, punches
from hub.duty.roster_store import expected_pairs
from hub.duty.rotation import Arrival, judge_arrival


def arrivals(conn: Connection, hd: HallDuty, start: date, end: date) -> list[Arrival]:
    """Every expected staff-day's arrival verdict from `start` to `end` on workdays (ATT-12)."""
    rules = load_duty_policy(conn, hd.id).arrival
    pairs = expected_pairs(conn, hd, start, end)
    out: list[Arrival] = []
    day = start
    while day <= end:
        if hd.is_workday(day):
            t0, t1 = hd.day_bounds(day)
            first, _faces = punches(conn, hd.hall, t0, t1)
            found = chief_on(conn, hd, day)
            chief = found[0] if found else None
            staff = sorted({s for s, d in pairs if d == day} | ({chief} if chief else set()))
            opening = hd.opening(day)
            away = {a.staff_id for a in absences(conn, staff, t0, t1) if a.start <= opening < a.end}
            for s in staff:
                if s in away:  # on leave at opening: nothing to judge (ATT-5)
                    continue
                out.append(
                    judge_arrival(
                        s,
                        day,
                        hd.opening(day),
                        first.get(s),
                        chief=s == chief,
                        staff_min=rules.staff_min_before,
                        chief_min=rules.chief_min_before,
                    )
                )
        day += timedelta(days=1)
    return out
