"""The monthly assessment from the stored records (rule DUTY-5), frozen with the attendance month.

Reads attendance's judged days (att_day), arriving early (ATT-12), compliance's violations,
ratings, complaints (DUTY-6), inspections, duty checks, opening acknowledgements and the duty
chief's log. While the attendance month is open the assessment is computed afresh; once it is
closed (ATT-8) the assessment is stored and read back unchanged; reopening the month thaws it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.attendance.tables import AttDay, AttMonth
from hub.compliance.tables import ViolationRow
from hub.duty.arrivals import arrivals
from hub.duty.assessment import Assessment, Item, Tally, score
from hub.duty.checks import CHECK
from hub.duty.chief_store import LOG, chief_on
from hub.duty.hallctx import HallDuty, load_duty_policy
from hub.duty.opening import ACK
from hub.duty.roster import month_days
from hub.duty.roster_store import STAFF, entries_between, expected_pairs
from hub.duty.rotation import Early
from hub.duty.tables import AssessmentRow
from hub.duty.visits import inspections

DAY = AttDay.__table__  # type: ignore[attr-defined]
MONTH = AttMonth.__table__  # type: ignore[attr-defined]
VIOLATION = ViolationRow.__table__  # type: ignore[attr-defined]
FROZEN = AssessmentRow.__table__  # type: ignore[attr-defined]
COUNTED_RULES = ("POST-1", "POST-2", "POST-5", "POST-6")


def _halves(hd: HallDuty) -> dict[str, str]:
    """Checkpoint name -> half-day, from the hall's attendance policy."""
    from hub.attendance.policy import load_policy

    policy = load_policy(hd.hall.attendance_policy, timezone=hd.hall.timezone)
    return {c.name: c.half for c in policy.checkpoints}


def _windows(
    conn: Connection, hd: HallDuty, first: date, last: date
) -> dict[tuple[str, date], str]:
    """(staff, day) -> the window they were rostered at (A first), else their staff window."""
    entries, _ = entries_between(conn, hd.id, first, last)
    out: dict[tuple[str, date], str] = {}
    for e in sorted(entries, key=lambda e: e.role.value != "A"):
        out.setdefault((e.staff_id, e.day), e.window)
    return out


def tallies(
    conn: Connection, hd: HallDuty, month: str, now: datetime
) -> tuple[dict[str, Tally], dict[str, Tally]]:
    """Each staff member's and each window's tally of the month (staff expected that month)."""
    first, last = month_days(month)
    today = hd.local_day(now)
    staff: dict[str, Tally] = defaultdict(Tally)
    windows: dict[str, Tally] = defaultdict(Tally)
    for s in sorted({s for s, _d in expected_pairs(conn, hd, first, last)}):
        staff[s] = Tally()  # everyone expected is assessed, with nothing to count too
    rostered_at = _windows(conn, hd, first, last)
    q = sa.select(STAFF.c.staff_id, STAFF.c.window).where(STAFF.c.hall == hd.id)
    known_window: dict[str, str | None] = {s: w for s, w in conn.execute(q)}

    def window_of(s: str, d: date) -> str | None:
        return rostered_at.get((s, d)) or known_window.get(s)

    def both(s: str | None, w: str | None, key: str, n: float = 1) -> None:
        for table, subject in ((staff, s), (windows, w)):
            if subject:
                t = table[subject]
                setattr(t, key, getattr(t, key) + n)

    halves = _halves(hd)
    days = conn.execute(  # days over only: today's afternoon is not yet missed
        sa.select(DAY.c.staff_id, DAY.c.day, DAY.c.checkpoint, DAY.c.status).where(
            DAY.c.day >= first,
            DAY.c.day <= min(last, today - timedelta(days=1)),
            DAY.c.staff_id.in_(sorted(staff)),
        )
    ).all()
    absent_halves: set[tuple[str, date, str]] = set()
    for s, d, cp, status in days:
        w = window_of(s, d)
        if status in ("late", "early"):
            both(s, w, status)
        elif status == "missing":
            both(s, w, "missing_punch")
        elif status == "absent":
            absent_halves.add((s, d, halves.get(cp, cp)))
    for s, d, _half in absent_halves:
        both(s, window_of(s, d), "absent_half_day")
    for a in arrivals(conn, hd, first, min(last, today)):  # rule ATT-12
        if a.verdict is Early.SHORT:
            both(a.staff_id, window_of(a.staff_id, a.day), "not_early")
    for v in conn.execute(
        sa.select(VIOLATION.c.staff_id, VIOLATION.c.window).where(
            VIOLATION.c.hall == hd.id,
            VIOLATION.c.day >= first,
            VIOLATION.c.day <= last,
            VIOLATION.c.rule.in_(COUNTED_RULES),
        )
    ):
        both(v.staff_id, v.window, "violation")
    for s, w in _dissatisfied(conn, hd.id, first, last):
        both(s, w, "dissatisfied")
    for subject, w, n in _complaints(conn, hd, month, now):  # rule DUTY-6
        both(subject, w, "complaint", n)
    for i in inspections(conn, hd, first, last):
        if i["problem"]:
            both(i["staff_id"], i["window"], "inspection_problem")
    for c in conn.execute(
        sa.select(CHECK.c.chief).where(
            CHECK.c.hall == hd.id,
            CHECK.c.day >= first,
            CHECK.c.day <= last,
            CHECK.c.performed_at.is_(None),
            CHECK.c.overdue_alerted_at.is_not(None),
        )
    ):
        both(c.chief, None, "check_missed")
    for ack in conn.execute(
        sa.select(ACK.c.day, ACK.c.chief, ACK.c.acknowledged_at, ACK.c.due_at).where(
            ACK.c.hall == hd.id, ACK.c.day >= first, ACK.c.day <= last
        )
    ):
        missed = ack.acknowledged_at is None and ack.day < today
        if missed or (ack.acknowledged_at is not None and ack.acknowledged_at > ack.due_at):
            found = chief_on(conn, hd, ack.day)
            both(ack.chief or (found[0] if found else None), None, "opening_unacknowledged")
    for p in conn.execute(
        sa.select(LOG.c.staff_id, LOG.c.window, LOG.c.points).where(
            LOG.c.hall == hd.id, LOG.c.day >= first, LOG.c.day <= last, LOG.c.points != 0
        )
    ):
        both(p.staff_id, p.window, "duty_points", float(p.points))
    return dict(staff), dict(windows)


def _dissatisfied(conn: Connection, hall: str, first: date, last: date) -> list[tuple[Any, Any]]:
    """(staff, window) of each dissatisfied rating (RATE-3), when ratings are part of the hub."""
    try:
        from hub.ratings.store import load_settings
        from hub.ratings.tables import RatingRow
    except ImportError:
        return []
    table = RatingRow.__table__  # type: ignore[attr-defined]
    worst = load_settings(conn, hall).dissatisfied_max
    q = sa.select(table.c.staff_id, table.c.window).where(
        table.c.hall == hall,
        table.c.day >= first,
        table.c.day <= last,
        table.c.level.is_not(None),
        table.c.level <= worst,
    )
    return [(s, w) for s, w in conn.execute(q)]


def _complaints(
    conn: Connection, hd: HallDuty, month: str, now: datetime
) -> list[tuple[str | None, str | None, int]]:
    """Rule DUTY-6: (staff, None, n) and (None, window, n) of the complaints of the month that
    verification found substantiated or partly so (hub.complaints counts them)."""
    try:
        from hub.complaints.assessment import complaint_counts
    except ImportError:
        return []
    found = complaint_counts(conn, hd.id, month, tz=hd.hall.timezone, now=now)
    out: list[tuple[str | None, str | None, int]] = []
    out.extend((s, None, c.against) for s, c in found.by_staff.items() if c.against)
    out.extend((None, w, c.against) for w, c in found.by_window.items() if c.against)
    return out


def month_closed(conn: Connection, month: str) -> bool:
    """Whether the attendance month is closed (rule ATT-8)."""
    return bool(conn.execute(sa.select(MONTH.c.closed).where(MONTH.c.month == month)).scalar())


def assess(
    conn: Connection, hd: HallDuty, month: str, now: datetime
) -> tuple[list[Assessment], bool]:
    """The month's assessments (staff, then windows) and whether they are frozen."""
    if month_closed(conn, month):
        frozen = _read_frozen(conn, hd.id, month)
        if frozen:
            return frozen, True
        out = _compute(conn, hd, month, now)
        _freeze(conn, hd.id, month, out, now)
        return out, True
    conn.execute(sa.delete(FROZEN).where(FROZEN.c.hall == hd.id, FROZEN.c.month == month))
    return _compute(conn, hd, month, now), False


def _compute(conn: Connection, hd: HallDuty, month: str, now: datetime) -> list[Assessment]:
    points = load_duty_policy(conn, hd.id).points
    staff, windows = tallies(conn, hd, month, now)
    out = [score("staff", s, t, points) for s, t in sorted(staff.items())]
    order = {w.id: i for i, w in enumerate(hd.hall.windows)}
    for w in sorted({*windows, *order}, key=lambda w: order.get(w, 999)):
        out.append(score("window", w, windows.get(w, Tally()), points))
    return out


def _freeze(conn: Connection, hall: str, month: str, out: list[Assessment], now: datetime) -> None:
    conn.execute(sa.delete(FROZEN).where(FROZEN.c.hall == hall, FROZEN.c.month == month))
    for a in out:
        conn.execute(
            sa.insert(FROZEN).values(
                hall=hall,
                month=month,
                subject_kind=a.subject_kind,
                subject=a.subject,
                total=a.total,
                items={"base": a.base, "items": [_item(i) for i in a.items]},
                frozen_at=now,
            )
        )


def _item(i: Item) -> dict[str, Any]:
    return {"key": i.key, "count": i.count, "each": i.each, "points": i.points, "rule": i.rule}


def _read_frozen(conn: Connection, hall: str, month: str) -> list[Assessment]:
    rows = conn.execute(
        sa.select(FROZEN).where(FROZEN.c.hall == hall, FROZEN.c.month == month)
    ).mappings()
    out = [
        Assessment(
            r["subject_kind"],
            r["subject"],
            float(r["items"]["base"]),
            tuple(Item(**i) for i in r["items"]["items"]),
        )
        for r in rows
    ]
    return sorted(out, key=lambda a: (a.subject_kind != "staff", a.subject))


def freeze_closed(conn: Connection, hd: HallDuty, now: datetime) -> int:
    """Freeze the assessments of closed months not frozen yet (the ticker's work)."""
    closed = set(conn.execute(sa.select(MONTH.c.month).where(MONTH.c.closed.is_(True))).scalars())
    done = set(
        conn.execute(sa.select(FROZEN.c.month).where(FROZEN.c.hall == hd.id).distinct()).scalars()
    )
    for month in sorted(closed - done):
        assess(conn, hd, month, now)
    return len(closed - done)
