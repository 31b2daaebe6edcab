"""Month reports (rule ATT-8) with penalties (rule ATT-9), CSV/XLSX export, the duty chief's day.

The aggregation is pure (judged checkpoint rows in, report rows out); `month_rows` and
`day_list` read the database.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.attendance.engine import LeaveKind
from hub.attendance.policy import Policy
from hub.attendance.projector import AttendanceProjector, month_range
from hub.attendance.store import (
    STAFF,
    closed_months,
    day_bounds,
    day_rows,
    load_facts,
    read_days,
    roster_ids,
)

NUMBERS = (
    "workdays",
    "late",
    "late_minutes",
    "early",
    "early_minutes",
    "missing",
    "absent_half_days",
    "absent_minutes",
    "leave_half_days",
    "corrections",
    "penalty_yuan",
)
"""The numeric columns of a report row, summed per window and per unit."""


@dataclass(slots=True)
class ReportRow:
    """One staff member's month (or a window's or unit's sum of them)."""

    key: str
    name: str = ""
    unit: str = ""
    window: str = ""
    staff: int = 1
    workdays: int = 0
    late: int = 0
    late_minutes: int = 0
    early: int = 0
    early_minutes: int = 0
    missing: int = 0
    absent_half_days: int = 0
    absent_minutes: int = 0
    leave_half_days: int = 0
    leave_by_kind: dict[str, int] = field(default_factory=dict)
    corrections: int = 0
    penalty_yuan: int = 0

    def flat(self) -> dict[str, Any]:
        """The row as flat columns (one per leave kind)."""
        out = asdict(self)
        by_kind = out.pop("leave_by_kind")
        for kind in LeaveKind:
            out[f"leave_{kind.value}"] = by_kind.get(kind.value, 0)
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


def summarise(
    rows: Iterable[Mapping[str, Any]],
    policy: Policy,
    roster: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[ReportRow]:
    """Per-staff month rows from judged checkpoint rows (staff_id, day, checkpoint, status, ...)."""
    roster = roster or {}
    halves = {c.name: c.half for c in policy.checkpoints}
    out: dict[str, ReportRow] = {}
    days: dict[str, set[date]] = {}
    absent: dict[str, set[tuple[date, str]]] = {}
    absent_days: dict[str, set[date]] = {}
    leave: dict[str, set[tuple[date, str, str]]] = {}
    forgotten: dict[str, int] = {}
    for r in rows:
        sid = r["staff_id"]
        info = roster.get(sid, {})
        row = out.get(sid)
        if row is None:
            row = out[sid] = ReportRow(
                sid, info.get("name", ""), info.get("unit", ""), info.get("window", "")
            )
        days.setdefault(sid, set()).add(r["day"])
        status, minutes, half = r["status"], int(r["minutes"]), halves.get(r["checkpoint"], "")
        if status == "late":
            row.late += 1
            row.late_minutes += minutes
        elif status == "early":
            row.early += 1
            row.early_minutes += minutes
        elif status == "missing":
            row.missing += 1
        elif status == "absent":
            absent.setdefault(sid, set()).add((r["day"], half))
            absent_days.setdefault(sid, set()).add(r["day"])
            row.absent_minutes += minutes
        elif status == "leave":
            leave.setdefault(sid, set()).add((r["day"], half, r.get("leave_kind") or ""))
        if status in ("missing", "absent") and r.get("punch_at") is None:
            forgotten[sid] = forgotten.get(sid, 0) + 1
        if r.get("corrected"):
            row.corrections += 1
    for sid, row in out.items():
        row.workdays = len(days.get(sid, ()))
        row.absent_half_days = len(absent.get(sid, ()))
        for _day, _half, kind in sorted(leave.get(sid, ())):
            row.leave_by_kind[kind] = row.leave_by_kind.get(kind, 0) + 1
        row.leave_half_days = sum(row.leave_by_kind.values())
        row.penalty_yuan = _penalty(
            policy, row, len(absent_days.get(sid, ())), forgotten.get(sid, 0)
        )
    return [out[k] for k in sorted(out)]


def _penalty(policy: Policy, row: ReportRow, absent_days: int, forgotten: int) -> int:
    """Rule ATT-9: per late or early, per absent day, and once for too many in a month."""
    p = policy.penalties
    if p is None:
        return 0
    yuan = (row.late + row.early) * p.late_or_early_yuan + absent_days * p.absent_extra_yuan
    if row.late >= p.monthly_late_limit or forgotten >= p.monthly_missing_limit:
        yuan += p.monthly_limit_yuan
    return yuan


def group(rows: Sequence[ReportRow], by: str) -> list[ReportRow]:
    """Sum staff rows per window (`by="window"`) or per unit (`by="unit"`)."""
    out: dict[str, ReportRow] = {}
    for r in rows:
        key = getattr(r, by) or "-"
        g = out.get(key)
        if g is None:
            g = out[key] = ReportRow(key, staff=0)
            setattr(g, by, key)
        g.staff += 1
        for name in NUMBERS:
            setattr(g, name, getattr(g, name) + getattr(r, name))
        for kind, n in r.leave_by_kind.items():
            g.leave_by_kind[kind] = g.leave_by_kind.get(kind, 0) + n
    return [out[k] for k in sorted(out)]


def roster_info(engine: Engine) -> dict[str, dict[str, Any]]:
    """The roster by staff id: name, unit, window, active."""
    with engine.connect() as conn:
        return {r["staff_id"]: dict(r) for r in conn.execute(sa.select(STAFF)).mappings()}


def month_rows(
    engine: Engine, projector: AttendanceProjector, month: str
) -> tuple[list[dict[str, Any]], bool]:
    """Judged rows of a month: stored when closed (frozen), else judged now from the facts."""
    first, last = month_range(month)
    with engine.connect() as conn:
        if month in closed_months(conn):
            return read_days(conn, first, last), True
        t0, _ = day_bounds(first, projector.judge.zone)
        _, t1 = day_bounds(last, projector.judge.zone)
        punches, leaves, fixes = load_facts(conn, t0, t1)
        roster = roster_ids(conn)
    records = projector.judge.judge(
        punches=punches, leaves=leaves, corrections=fixes, start=first, end=last, roster=roster
    )
    return [row for rec in records for row in day_rows(rec)], False


def month_report(engine: Engine, projector: AttendanceProjector, month: str) -> MonthReport:
    """The month's report per staff member, window and unit."""
    rows, closed = month_rows(engine, projector, month)
    staff = summarise(rows, projector.policy, roster_info(engine))
    return MonthReport(
        month, projector.policy.name, closed, staff, group(staff, "window"), group(staff, "unit")
    )


def to_csv(rows: Sequence[ReportRow]) -> str:
    """Report rows as CSV text (UTF-8, header first)."""
    buf = io.StringIO()
    flat = [r.flat() for r in rows]
    columns = list(flat[0]) if flat else list(ReportRow("x").flat())
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(flat)
    return buf.getvalue()


def to_xlsx(report: MonthReport) -> bytes:
    """The report as an XLSX workbook: sheets staff, windows, units."""
    from openpyxl import Workbook

    wb = Workbook()
    first = True
    for title, rows in (
        ("staff", report.staff),
        ("windows", report.windows),
        ("units", report.units),
    ):
        ws = wb.active if first else wb.create_sheet()
        first = False
        assert ws is not None
        ws.title = title
        columns = list(ReportRow("x").flat())
        ws.append(columns)
        for r in rows:
            flat = r.flat()
            ws.append([flat[c] for c in columns])
    meta = wb.create_sheet("about")
    meta.append(["month", report.month])
    meta.append(["policy", report.policy])
    meta.append(["closed", report.closed])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def day_list(engine: Engine, projector: AttendanceProjector, day: date) -> list[dict[str, Any]]:
    """The duty chief's list for one day: every staff member's checkpoints, by window."""
    month = f"{day.year:04d}-{day.month:02d}"
    with engine.connect() as conn:
        frozen = month in closed_months(conn)
        if frozen:
            rows = read_days(conn, day, day)
        else:
            t0, t1 = day_bounds(day, projector.judge.zone)
            punches, leaves, fixes = load_facts(conn, t0, t1)
            roster = roster_ids(conn)
    if not frozen:
        records = projector.judge.judge(
            punches=punches, leaves=leaves, corrections=fixes, start=day, end=day, roster=roster
        )
        rows = [row for rec in records for row in day_rows(rec)]
    info = roster_info(engine)
    zone = projector.judge.zone
    people: dict[str, dict[str, Any]] = {}
    for r in rows:
        sid = r["staff_id"]
        person = people.setdefault(
            sid,
            {
                "staff_id": sid,
                "name": info.get(sid, {}).get("name", ""),
                "unit": info.get(sid, {}).get("unit", ""),
                "window": info.get(sid, {}).get("window", ""),
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
            }
        )
    return sorted(people.values(), key=lambda p: (p["window"], p["staff_id"]))
