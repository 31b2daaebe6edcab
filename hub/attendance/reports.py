"""Month reports (rule ATT-8) with penalties (rule ATT-9), and the duty chief's day.

The aggregation is pure (judged checkpoint rows in, report rows out); `month_rows`, `month_report`
and `day_list` read the database. With the hall's clock (`now`) the current month is "to date":
days not yet come are not judged and checkpoints not yet due (未到) count for nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.attendance.engine import LeaveKind
from hub.attendance.penalties import MonthCounts, PenaltyLine, month_penalties
from hub.attendance.policy import Policy
from hub.attendance.projector import AttendanceProjector, month_range
from hub.attendance.seats import SeatReader, staff_table_holders
from hub.attendance.store import (
    STAFF,
    closed_months,
    day_bounds,
    day_rows,
    load_facts,
    month_key,
    read_days,
)
from hub.attendance.tables import AttPay

PAY = AttPay.__table__  # type: ignore[attr-defined]

NUMBERS = (
    "workdays",
    "late",
    "late_minutes",
    "early",
    "early_minutes",
    "absent_from_post",
    "absent_from_post_minutes",
    "missing",
    "forgotten_signins",
    "absent_half_days",
    "leave_half_days",
    "corrections",
    "early_punches",
    "not_due",
    "penalty_yuan",
    "days_pay_days",
)
"""The numeric columns of a report row, summed per window and per unit."""
WORKED = frozenset({"ok", "late", "early", "absent_from_post"})
"""Statuses that show the person was at work that day (a punch or a correction counted)."""


@dataclass(slots=True)
class ReportRow:
    """One staff member's month (or a window's or unit's sum of them)."""

    key: str
    name: str = ""
    unit: str = ""
    window: str = ""
    hall: str = ""
    """The staff member's hall: a window is a hall's (two halls may both have a w02)."""
    staff: int = 1
    workdays: int = 0
    late: int = 0
    late_minutes: int = 0
    early: int = 0
    early_minutes: int = 0
    absent_from_post: int = 0
    absent_from_post_minutes: int = 0
    missing: int = 0
    forgotten_signins: int = 0
    absent_half_days: int = 0
    leave_half_days: int = 0
    leave_by_kind: dict[str, int] = field(default_factory=dict)
    corrections: int = 0
    early_punches: int = 0
    not_due: int = 0
    penalty_yuan: int = 0
    days_pay_days: int = 0
    daily_wage_yuan: float | None = None
    lines: list[PenaltyLine] = field(default_factory=list)

    @property
    def days_pay_yuan(self) -> float | None:
        """The pay of the forfeited days, when the staff member's daily wage is set."""
        if self.daily_wage_yuan is None:
            return None
        return round(self.days_pay_days * self.daily_wage_yuan, 2)

    def flat(self) -> dict[str, Any]:
        """The row as flat columns (one per leave kind; penalty lines left out)."""
        out = asdict(self)
        out.pop("lines")
        by_kind = out.pop("leave_by_kind")
        for kind in LeaveKind:
            out[f"leave_{kind.value}"] = by_kind.get(kind.value, 0)
        out["days_pay_yuan"] = self.days_pay_yuan
        return out

    def as_json(self) -> dict[str, Any]:
        """The row for `hallkeeper attendance report --json` and the API: counts and lines."""
        out = self.flat()
        out["staff_id"] = out.pop("key")
        out["leave_by_kind"] = dict(self.leave_by_kind)
        out["penalties"] = [line.as_dict() for line in self.lines]
        return out


@dataclass(slots=True)
class MonthReport:
    """A month's report per staff member, per window and per unit (rule ATT-8)."""

    month: str
    policy: str
    closed: bool
    staff: list[ReportRow]
    windows: list[ReportRow]
    units: list[ReportRow]
    days: list[dict[str, Any]] = field(default_factory=list)
    """The judged checkpoint rows (staff_id, day, checkpoint, status, ...): the per-day sheet."""
    to_date: date | None = None
    """The last day judged when the month is not over yet."""
    hall: str = ""
    """The hall whose staff and windows the report holds (rule ATT-8); "" for every staff member
    when the hub knows no halls."""


def summarise(
    rows: Iterable[Mapping[str, Any]],
    policy: Policy,
    roster: Mapping[str, Mapping[str, Any]] | None = None,
    wages: Mapping[str, float] | None = None,
) -> list[ReportRow]:
    """Per-staff month rows from judged checkpoint rows (staff_id, day, checkpoint, status, ...)."""
    roster = roster or {}
    halves = {c.name: c.half for c in policy.checkpoints}
    out: dict[str, ReportRow] = {}
    days: dict[str, set[date]] = {}
    absent: dict[str, set[tuple[date, str]]] = {}
    leave: dict[str, set[tuple[date, str, str]]] = {}
    worked: set[tuple[str, date]] = set()
    missing: list[tuple[str, date]] = []
    for r in rows:
        sid, day = r["staff_id"], r["day"]
        row = out.get(sid)
        if row is None:
            info = roster.get(sid, {})
            row = out[sid] = ReportRow(
                sid,
                info.get("name", ""),
                info.get("unit", ""),
                info.get("window") or "",
                info.get("hall") or "",
            )
        days.setdefault(sid, set()).add(day)
        status, minutes, half = r["status"], int(r["minutes"]), halves.get(r["checkpoint"], "")
        if status in WORKED:
            worked.add((sid, day))
        if status == "late":
            row.late += 1
            row.late_minutes += minutes
        elif status == "early":
            row.early += 1
            row.early_minutes += minutes
        elif status == "absent_from_post":  # rule ATT-3: 脱岗 counts its half-day as absent
            row.absent_from_post += 1
            row.absent_from_post_minutes += minutes
            absent.setdefault(sid, set()).add((day, half))
        elif status == "missing":  # rule ATT-6: 缺卡, counted
            row.missing += 1
            missing.append((sid, day))
        elif status == "absent":  # rule ATT-6: 旷工 for the half-day
            absent.setdefault(sid, set()).add((day, half))
        elif status == "leave":
            leave.setdefault(sid, set()).add((day, half, r.get("leave_kind") or ""))
        elif status == "not_due":  # 未到: not yet due, counts for nothing
            row.not_due += 1
        if r.get("corrected"):
            row.corrections += 1
        if r.get("early_punch"):  # rule ATT-4
            row.early_punches += 1
    for sid, day in missing:  # rule ATT-9: a single missing punch on a day the person worked
        if (sid, day) in worked:
            out[sid].forgotten_signins += 1
    wages = wages or {}
    for sid, row in out.items():
        row.workdays = len(days.get(sid, ()))
        halves_absent = absent.get(sid, set())
        row.absent_half_days = len(halves_absent)
        for _day, _half, kind in sorted(leave.get(sid, ())):
            row.leave_by_kind[kind] = row.leave_by_kind.get(kind, 0) + 1
        row.leave_half_days = sum(row.leave_by_kind.values())
        counts = MonthCounts(
            late=row.late,
            early=row.early,
            absent_days=len({d for d, _h in halves_absent}),
            early_punches=row.early_punches,
            forgotten_signins=row.forgotten_signins,
        )
        row.lines = month_penalties(policy.penalties, counts)
        row.penalty_yuan = sum(line.yuan for line in row.lines)
        row.days_pay_days = sum(line.days_pay for line in row.lines)
        row.daily_wage_yuan = wages.get(sid)
    return [out[k] for k in sorted(out)]


def group(rows: Sequence[ReportRow], by: str) -> list[ReportRow]:
    """Sum staff rows per window (`by="window"`) or per unit (`by="unit"`) of each hall: a
    window is keyed by (hall, window), two halls' w02 are two windows (rule ATT-8)."""
    out: dict[tuple[str, str], ReportRow] = {}
    for r in rows:
        key = getattr(r, by) or "-"
        g = out.get((r.hall, key))
        if g is None:
            g = out[(r.hall, key)] = ReportRow(key, hall=r.hall, staff=0)
            setattr(g, by, key)
        g.staff += 1
        for name in NUMBERS:
            setattr(g, name, getattr(g, name) + getattr(r, name))
        for kind, n in r.leave_by_kind.items():
            g.leave_by_kind[kind] = g.leave_by_kind.get(kind, 0) + n
    return [out[k] for k in sorted(out)]


def roster_info(
    engine: Engine, day: date | None = None, seats: SeatReader = staff_table_holders
) -> dict[str, dict[str, Any]]:
    """The staff by id: name, unit, active, and the window whose seat they hold on `day`."""
    with engine.connect() as conn:
        info = {r["staff_id"]: dict(r) for r in conn.execute(sa.select(STAFF)).mappings()}
        if day is not None:
            for sid, window in seats(conn, day).items():
                info.setdefault(sid, {"staff_id": sid})["window"] = window
    return info


def wages(engine: Engine) -> dict[str, float]:
    """Each staff member's daily wage in yuan, where one is set (rule ATT-9, 当日工资)."""
    with engine.connect() as conn:
        return {
            s: fen / 100 for s, fen in conn.execute(sa.select(PAY.c.staff_id, PAY.c.daily_wage_fen))
        }


def judged_rows(
    engine: Engine,
    projector: AttendanceProjector,
    first: date,
    last: date,
    now: datetime | None = None,
    hall: str | None = None,
) -> list[dict[str, Any]]:
    """Judged checkpoint rows from the facts, from `first` to `last` (to date with `now`), each
    staff member by their hall's policy; with `hall`, that hall's staff only."""
    with engine.connect() as conn:
        records = projector.judge_period(conn, first, last, now, hall)
    return [row for rec in records for row in day_rows(rec)]


def stored_rows(
    engine: Engine, projector: AttendanceProjector, first: date, last: date, hall: str | None
) -> list[dict[str, Any]]:
    """Stored (frozen) judged rows from `first` to `last`, of `hall`'s staff only with a hall."""
    with engine.connect() as conn:
        rows = read_days(conn, first, last)
        members = projector.hall_members(conn, hall)
    return rows if members is None else [r for r in rows if r["staff_id"] in members]


def month_rows(
    engine: Engine,
    projector: AttendanceProjector,
    month: str,
    now: datetime | None = None,
    hall: str | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Judged rows of a month: stored when closed (frozen), else judged now from the facts; with
    `hall`, its staff only."""
    first, last = month_range(month)
    with engine.connect() as conn:
        if month in closed_months(conn):
            return stored_rows(engine, projector, first, last, hall), True
    return judged_rows(engine, projector, first, last, now, hall), False


def month_report(
    engine: Engine,
    projector: AttendanceProjector,
    month: str,
    now: datetime | None = None,
    seats: SeatReader = staff_table_holders,
    hall: str | None = None,
) -> MonthReport:
    """A hall's month report per staff member, window and unit (to date with `now`): its own
    staff, windows and policy (rule ATT-8; default the first hall; UnknownHall for another)."""
    hall = projector.report_hall(hall)
    judge = projector.judge_of(hall)
    first, last = month_range(month)
    rows, closed = month_rows(engine, projector, month, now, hall)
    today = judge.local_day(now) if now is not None else None
    to_date = today if today is not None and first <= today <= last and not closed else None
    info = roster_info(engine, min(last, today) if today else last, seats)
    staff = summarise(rows, judge.policy, info, wages(engine))  # rule ATT-9: the hall's fines
    for row in staff:  # one hall's report: staff of no hall served are the first hall's
        row.hall = hall or row.hall
    return MonthReport(
        month,
        judge.policy.name,
        closed,
        staff,
        group(staff, "window"),
        group(staff, "unit"),
        rows,
        to_date,
        hall or "",
    )


def day_list(
    engine: Engine,
    projector: AttendanceProjector,
    day: date,
    now: datetime | None = None,
    seats: SeatReader = staff_table_holders,
    hall: str | None = None,
) -> list[dict[str, Any]]:
    """The duty chief's list for one day of a hall (default the first): every staff member's
    checkpoints, by window."""
    hall = projector.report_hall(hall)
    month = f"{day.year:04d}-{day.month:02d}"
    with engine.connect() as conn:
        frozen = month in closed_months(conn)
    if frozen:
        rows = stored_rows(engine, projector, day, day, hall)
    else:
        rows = judged_rows(engine, projector, day, day, now, hall)
    info = roster_info(engine, day, seats)
    zone = projector.judge_of(hall).zone
    people: dict[str, dict[str, Any]] = {}
    for r in rows:
        sid = r["staff_id"]
        person = people.setdefault(
            sid,
            {
                "staff_id": sid,
                "name": info.get(sid, {}).get("name", ""),
                "unit": info.get(sid, {}).get("unit", ""),
                "window": info.get(sid, {}).get("window") or "",
                "day": day.isoformat(),
                "checkpoints": [],
            },
        )
        person["checkpoints"].append(
            {
                "checkpoint": r["checkpoint"],
                "status": r["status"],
                "minutes": r["minutes"],
                "time": r["punch_at"].astimezone(zone).strftime("%H:%M") if r["punch_at"] else None,
                "corrected": bool(r["corrected"]),
                "leave_kind": r["leave_kind"],
                "rule": r.get("rule") or "",
                "early_punch": bool(r.get("early_punch")),
            }
        )
    return sorted(people.values(), key=lambda p: (p["window"], p["staff_id"]))


def explain_staff_day(
    engine: Engine,
    projector: AttendanceProjector,
    staff_id: str,
    day: date,
    now: datetime | None = None,
) -> dict[str, Any] | None:
    """A staff member's day and why each checkpoint got its verdict; None if not judged.

    In a closed month the stored verdict stands (`frozen`); the explanation is worked out from
    the facts as they are now and says so when it differs.
    """
    with engine.connect() as conn:
        judge = projector.staff_judges(conn, [staff_id]).get(staff_id, projector.judge)
        t0, t1 = day_bounds(day, judge.zone)
        punches, leaves, fixes = load_facts(conn, t0, t1, staff_id)
        expect = projector.expected(conn, judge, day, day)
        frozen = month_key(day) in closed_months(conn)
        stored = read_days(conn, day, day, staff_id) if frozen else []
    found = judge.explain_day(
        staff_id,
        day,
        punches=punches,
        leaves=leaves,
        corrections=fixes,
        expected=expect,
        now=now,
    )
    if found is None and not stored:
        return None
    out: dict[str, Any] = {
        "staff_id": staff_id,
        "day": day.isoformat(),
        "policy": judge.policy.name,
        "frozen": frozen,
        "checkpoints": found[1] if found else [],
        "stray": [s.astimezone(judge.zone).strftime("%H:%M:%S") for s in found[0].stray]
        if found
        else [],
    }
    if frozen:
        out["stored"] = [{"checkpoint": r["checkpoint"], "status": r["status"]} for r in stored]
    return out
