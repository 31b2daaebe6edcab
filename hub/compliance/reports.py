"""Daily and monthly compliance reports per staff member and per window, as rows and CSV."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.compliance.tables import NoticeRow, SeatDayRow, ViolationRow

RULES = ("POST-1", "POST-2", "POST-5", "POST-6")
"""Rules counted as violations in the report columns."""


@dataclass
class ReportLine:
    """One staff member's (or window's) compliance over the report's days."""

    key: str
    days: int = 0
    on_post_min: float = 0.0
    extended_min: float = 0.0
    away_count: int = 0
    away_min: float = 0.0
    violations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))
    notices: int = 0

    def row(self) -> dict[str, object]:
        """A flat dict for CSV and JSON."""
        data = asdict(self)
        counts = data.pop("violations")
        data["violations_total"] = sum(counts.values())
        for rule in RULES:
            data[rule] = counts[rule]
        for k in ("on_post_min", "extended_min", "away_min"):
            data[k] = round(float(data[k]), 1)
        return data


@dataclass
class Report:
    """A compliance report for a hall and a date range, by staff member and by window."""

    hall: str
    start: date
    end: date
    by_staff: list[ReportLine]
    by_window: list[ReportLine]


def month_range(year: int, month: int) -> tuple[date, date]:
    """First and last day of a month."""
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def build_report(engine: Engine, hall: str, start: date, end: date) -> Report:
    """Sum seat-days, violations and notices from `start` to `end` (both included)."""
    staff: dict[str, ReportLine] = {}
    windows: dict[str, ReportLine] = {}
    staff_days: dict[str, set[date]] = defaultdict(set)
    window_days: dict[str, set[date]] = defaultdict(set)

    def line(book: dict[str, ReportLine], key: str) -> ReportLine:
        return book.setdefault(key, ReportLine(key))

    with Session(engine) as session:
        for r in session.exec(
            select(SeatDayRow).where(
                SeatDayRow.hall == hall, col(SeatDayRow.day) >= start, col(SeatDayRow.day) <= end
            )
        ).all():
            keys = [
                (staff, r.staff_id or f"seat:{r.seat}", staff_days),
                (windows, r.window, window_days),
            ]
            for book, key, days in keys:
                ln = line(book, key)
                days[key].add(r.day)
                ln.on_post_min += r.on_post_s / 60
                ln.extended_min += r.extended_s / 60
                ln.away_count += r.away_count
                ln.away_min += r.away_s / 60
        for v in session.exec(
            select(ViolationRow).where(
                ViolationRow.hall == hall,
                col(ViolationRow.day) >= start,
                col(ViolationRow.day) <= end,
            )
        ).all():
            for book, key in ((staff, v.staff_id or f"seat:{v.seat}"), (windows, v.window)):
                counts = line(book, key).violations
                counts[v.rule] = counts.get(v.rule, 0) + 1
        for n in session.exec(
            select(NoticeRow).where(
                NoticeRow.hall == hall, col(NoticeRow.day) >= start, col(NoticeRow.day) <= end
            )
        ).all():
            line(staff, n.staff_id or f"seat:{n.seat}").notices += 1
            line(windows, n.window).notices += 1
    for book, days in ((staff, staff_days), (windows, window_days)):
        for key, ln in book.items():
            ln.days = len(days[key])
    return Report(
        hall,
        start,
        end,
        sorted(staff.values(), key=lambda x: x.key),
        sorted(windows.values(), key=lambda x: x.key),
    )


def report_csv(report: Report, by: str = "staff") -> str:
    """The report as CSV text (`by` staff or window); the first column is staff_id or window."""
    lines = report.by_staff if by == "staff" else report.by_window
    name = "staff_id" if by == "staff" else "window"
    out = io.StringIO()
    fields = [
        name,
        "days",
        "on_post_min",
        "extended_min",
        "away_count",
        "away_min",
        "violations_total",
        *RULES,
        "notices",
    ]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for ln in lines:
        row = ln.row()
        row[name] = row.pop("key")
        writer.writerow(row)
    return out.getvalue()
