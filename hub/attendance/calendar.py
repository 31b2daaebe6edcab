"""Workdays: the national calendar (holidays, 调休 make-up days) plus a hall's own days.

Rule ATT-10. A year the `chinese_calendar` package has no data for is an error, never a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

import chinese_calendar


class CalendarError(ValueError):
    """The calendar cannot say whether a day is a workday (e.g. a year it does not know)."""


class DayKind(StrEnum):
    """What kind of day a date is for the hall."""

    WORKDAY = "workday"
    MAKEUP = "makeup"  # 调休: a weekend day worked to make up for a holiday
    HOLIDAY = "holiday"
    WEEKEND = "weekend"
    HALL_WORKDAY = "hall_workday"
    HALL_HOLIDAY = "hall_holiday"


@lru_cache(maxsize=8192)
def national_day_kind(day: date) -> DayKind:
    """The national calendar's verdict on `day` (rule ATT-10)."""
    try:
        workday = chinese_calendar.is_workday(day)
        _holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError as exc:
        raise CalendarError(
            f"the national calendar has no data for {day.year} ({exc}); "
            "upgrade the chinesecalendar package or add the year's days to the hall's policy"
        ) from None
    weekend = day.weekday() >= 5
    if workday:
        return DayKind.MAKEUP if weekend else DayKind.WORKDAY
    if name is not None or not weekend:
        return DayKind.HOLIDAY
    return DayKind.WEEKEND


class WorkCalendar:
    """The national calendar with a hall's own extra workdays and holidays on top."""

    def __init__(
        self, extra_workdays: Iterable[date] = (), extra_holidays: Iterable[date] = ()
    ) -> None:
        """Build from the hall's own days (they win over the national calendar)."""
        self.extra_workdays = frozenset(extra_workdays)
        self.extra_holidays = frozenset(extra_holidays)
        clash = self.extra_workdays & self.extra_holidays
        if clash:
            raise CalendarError(f"days both extra workday and holiday: {sorted(clash)}")

    def day_kind(self, day: date) -> DayKind:
        """What kind of day `day` is; raises CalendarError for an unknown year."""
        if day in self.extra_workdays:
            return DayKind.HALL_WORKDAY
        if day in self.extra_holidays:
            return DayKind.HALL_HOLIDAY
        return national_day_kind(day)

    def is_workday(self, day: date) -> bool:
        """True when the hall works on `day` (workday, 调休 make-up day or hall workday)."""
        return self.day_kind(day) in (DayKind.WORKDAY, DayKind.MAKEUP, DayKind.HALL_WORKDAY)

    def workdays(self, start: date, end: date) -> list[date]:
        """Workdays from `start` to `end`, both included."""
        out = []
        day = start
        while day <= end:
            if self.is_workday(day):
                out.append(day)
            day += timedelta(days=1)
        return out
