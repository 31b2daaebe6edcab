"""The duty chief's weekly written report (rules DUTY-2, POST-8, DEV-1, ATT-12, DUTY-3, DUTY-4):
what each workday of a week saw, gathered from the records for a printable page."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.compliance.tables import ViolationRow
from hub.duty.arrivals import arrivals
from hub.duty.checks import checks_between
from hub.duty.chief_store import chief_on, log_between, rotations
from hub.duty.hallctx import HallDuty, load_duty_policy
from hub.duty.ledger_store import ledger_day
from hub.duty.opening import state
from hub.duty.rotation import Early, terms
from hub.duty.visits import inspections, sittings

VIOLATION = ViolationRow.__table__  # type: ignore[attr-defined]


def week_of(day: date) -> date:
    """The Monday of the week `day` is in."""
    return day - timedelta(days=day.weekday())


def weekly_report(conn: Connection, hd: HallDuty, monday: date, now: datetime) -> dict[str, Any]:
    """The week's report: per workday the duty chief, opening check, duty checks, handovers,
    ledger flags and violations; the week's arrivals, sittings, inspections and log."""
    monday = week_of(monday)
    sunday = monday + timedelta(days=6)
    today = hd.local_day(now)
    policy = load_duty_policy(conn, hd.id)
    checks = checks_between(conn, hd.id, monday, sunday)
    early = arrivals(conn, hd, monday, min(sunday, today))
    violations = Counter(
        (d, rule)
        for d, rule in conn.execute(
            sa.select(VIOLATION.c.day, VIOLATION.c.rule).where(
                VIOLATION.c.hall == hd.id, VIOLATION.c.day >= monday, VIOLATION.c.day <= sunday
            )
        )
    )
    days = []
    day = monday
    while day <= min(sunday, today):
        if hd.is_workday(day):
            ledger = ledger_day(conn, hd, day)
            found = chief_on(conn, hd, day)
            day_checks = [c for c in checks if c["day"] == day]
            chief_arrival = next((a for a in early if a.day == day and a.chief), None)
            days.append(
                {
                    "day": day,
                    "chief": found[0] if found else None,
                    "rostered_chief": found[1] if found else None,
                    "opening": state(conn, hd, day, policy),
                    "checks": day_checks,
                    "findings": [
                        i
                        for c in day_checks
                        for i in c["items"]
                        if False in (i["on_post"], i["badge"], i["sign"], i["desk"])
                    ],
                    "handovers": ledger.handovers,
                    "flags": Counter(f.kind.value for f in ledger.flags),
                    "violations": {r: n for (d, r), n in violations.items() if d == day},
                    "chief_arrival": chief_arrival,
                }
            )
        day += timedelta(days=1)
    week_terms = terms(rotations(conn, hd.id), monday, sunday)
    log = log_between(conn, hd.id, monday, sunday)
    ending = [t for t in week_terms if monday <= t.end <= sunday]
    return {
        "hall": hd.hall,
        "monday": monday,
        "sunday": sunday,
        "terms": week_terms,
        "handover_due": ending,
        "handover_done": any(e["kind"] == "handover" for e in log) if ending else None,
        "days": days,
        "short_arrivals": [a for a in early if a.verdict is Early.SHORT],
        "no_arrival": [a for a in early if a.verdict is Early.NONE],
        "sittings": sittings(conn, hd, monday, sunday),
        "inspections": inspections(conn, hd, monday, sunday),
        "log": log,
        "policy": policy,
    }
