"""Working hours for compliance: a plain list of working intervals per day (pure).

The compliance engine only needs "when is the hall open on this date". WorkSchedule gives that
from a few settings; its defaults are preset `wenshang-2021` (rule ATT-2): 08:30-12:00 and
14:00-18:00 in summer (1 May - 30 Sep), 08:30-12:00 and 13:30-17:30 in winter. Workdays follow
the national calendar (chinesecalendar; Monday-Friday for years it does not know) plus the
hall's own days (rule ATT-10). `schedule_from_policy` builds one from an attendance Policy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)

Span = tuple[time, time]


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open time interval [start, end) with aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("interval times must be timezone-aware")
        if self.end < self.start:
            raise ValueError(f"interval ends before it starts: {self.start} > {self.end}")

    @property
    def seconds(self) -> float:
        """Length in seconds."""
        return (self.end - self.start).total_seconds()

    def overlap(self, other: Interval) -> Interval | None:
        """The common part, or None."""
        start, end = max(self.start, other.start), min(self.end, other.end)
        return Interval(start, end) if start < end else None


def _is_national_workday(day: date) -> bool:
    try:
        import chinese_calendar

        return bool(chinese_calendar.is_workday(day))
    except (ImportError, NotImplementedError):
        return day.weekday() < 5


@dataclass(frozen=True)
class WorkSchedule:
    """When the hall works: day spans per season and the workday calendar."""

    timezone: str = "Asia/Shanghai"
    summer: tuple[Span, ...] = ((time(8, 30), time(12, 0)), (time(14, 0), time(18, 0)))
    winter: tuple[Span, ...] = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))
    summer_start: tuple[int, int] = (5, 1)
    winter_start: tuple[int, int] = (10, 1)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    every_day: bool = False

    @property
    def zone(self) -> ZoneInfo:
        """The hall's zone."""
        return ZoneInfo(self.timezone)

    def is_workday(self, day: date) -> bool:
        """True when the hall works on `day` (rule ATT-10)."""
        if self.every_day or day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        return _is_national_workday(day)

    def is_summer(self, day: date) -> bool:
        """Summer time (rule ATT-2 season dates)."""
        return self.summer_start <= (day.month, day.day) < self.winter_start

    def working(self, day: date) -> list[Interval]:
        """The working intervals of `day` (empty on a non-workday)."""
        if not self.is_workday(day):
            return []
        spans = self.summer if self.is_summer(day) else self.winter
        zone = self.zone
        return [
            Interval(datetime.combine(day, a, zone), datetime.combine(day, b, zone))
            for a, b in spans
        ]

    def day_of(self, at: datetime) -> date:
        """The hall-local date of an instant."""
        return at.astimezone(self.zone).date()


def schedule_from_policy(policy: Any) -> WorkSchedule:
    """Working spans from an attendance Policy (hub/attendance/policy.py): arrive -> leave pairs.

    Each half-day's working span runs from its arrive checkpoint's target to its leave
    checkpoint's target, per season.
    """

    def spans(summer: bool) -> tuple[Span, ...]:
        out: list[Span] = []
        for half in ("AM", "PM"):
            cps = [c for c in policy.checkpoints if c.half == half]
            arrive = [c.target(summer) for c in cps if str(c.kind).endswith("arrive")]
            leave = [c.target(summer) for c in cps if str(c.kind).endswith("leave")]
            if arrive and leave:
                out.append((min(arrive), max(leave)))
        return tuple(out)

    def mmdd(text: str) -> tuple[int, int]:
        month, day = text.split("-")
        return int(month), int(day)

    return WorkSchedule(
        timezone=policy.timezone,
        summer=spans(True),
        winter=spans(False),
        summer_start=mmdd(policy.season.summer_start),
        winter_start=mmdd(policy.season.winter_start),
        extra_workdays=frozenset(policy.calendar.extra_workdays),
        extra_holidays=frozenset(policy.calendar.extra_holidays),
    )
