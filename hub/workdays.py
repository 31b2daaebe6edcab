"""Deadlines counted in working days of the hall's calendar (RATE-3, QUEUE-5, DUTY-6). Pure.

A deadline of "n working days" ends at midnight (hall time) after the n-th working day from
the day it starts; n = 0 is the end of that same working day (or of the next working day
when it starts on a day off). Which days are working days is the caller's calendar
(hub.attendance.calendar.WorkCalendar.is_workday: national holidays, 调休, the hall's days).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

IsWorkday = Callable[[date], bool]


def add_workdays(day: date, n: int, is_workday: IsWorkday) -> date:
    """The n-th working day after `day` (n = 0: `day` itself if a workday, else the next one)."""
    if n < 0:
        raise ValueError("a number of working days is never negative")
    d = day
    if n == 0:
        while not is_workday(d):
            d += timedelta(days=1)
        return d
    count = 0
    while count < n:
        d += timedelta(days=1)
        if is_workday(d):
            count += 1
    return d


def end_of_workday(start: datetime, n: int, tz: ZoneInfo, is_workday: IsWorkday) -> datetime:
    """Midnight (hall time) ending the n-th working day after `start`'s hall-local day."""
    if start.tzinfo is None:
        raise ValueError("a deadline starts at a timezone-aware time")
    d = add_workdays(start.astimezone(tz).date(), n, is_workday)
    return datetime.combine(d + timedelta(days=1), time(0), tz)
