"""Workdays: the national calendar (holidays, 调休 make-up days), the years a hall entered in
its calendar file, and a hall's own extra days (rule ATT-10).

A year known neither to the `chinese_calendar` package nor to the hall's calendar file is an
error (CalendarError, worded `calendar.year_unknown`), never a guess. The hall's file decides a
year it lists (it is entered from the State Council's notice); the hub names the file with
`use_file()` (HK_CALENDAR_FILE, by default `calendar.toml` in the first hall's folder) and
re-reads it when it changes, so every area's WorkCalendar sees a year the moment it is saved.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import chinese_calendar

from hub.attendance.calendar_file import CalendarFileError, YearDays, dump_calendar, parse_calendar
from hub.problems import InvalidProblem

logger = logging.getLogger(__name__)
ENV_FILE = "HK_CALENDAR_FILE"
WARN_FROM = (11, 1)
"""From this (month, day) on, a next year nobody has entered is alerted (the State Council
publishes the next year's holidays in November)."""


class CalendarError(InvalidProblem, ValueError):
    """The calendar cannot say whether a day is a workday (e.g. a year it does not know)."""

    def __init__(self, message: str, key: str = "calendar.error", **values: object) -> None:
        """`message` for logs and programs; `key` and `values` for the reader's words."""
        super().__init__(key)
        self.values = values
        self.message = message

    def __str__(self) -> str:
        """The message in English (programs, logs)."""
        return self.message


class DayKind(StrEnum):
    """What kind of day a date is for the hall."""

    WORKDAY = "workday"
    MAKEUP = "makeup"  # 调休: a weekend day worked to make up for a holiday
    HOLIDAY = "holiday"
    WEEKEND = "weekend"
    HALL_WORKDAY = "hall_workday"
    HALL_HOLIDAY = "hall_holiday"


def _package_years() -> range:
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


PACKAGE_YEARS = _package_years()
"""The years the installed chinese_calendar package knows."""


@lru_cache(maxsize=8192)
def national_day_kind(day: date) -> DayKind:
    """The national calendar package's verdict on `day` (rule ATT-10)."""
    try:
        workday = chinese_calendar.is_workday(day)
        _holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        raise CalendarError(
            f"the national calendar has no data for {day.year}: enter the year's holidays and "
            "make-up workdays in the hall's calendar (dashboard: 节假日日历), or upgrade the "
            "chinesecalendar package",
            key="calendar.year_unknown",
            year=day.year,
        ) from None
    weekend = day.weekday() >= 5
    if workday:
        return DayKind.MAKEUP if weekend else DayKind.WORKDAY
    if name is not None or not weekend:
        return DayKind.HOLIDAY
    return DayKind.WEEKEND


class HallYears:
    """The years of the hall's calendar file, re-read when the file changes."""

    def __init__(self, path: Path | None = None, check_every_s: float = 1.0) -> None:
        """Read `path` (None: only what is saved in memory)."""
        self.path = path
        self.check_every_s = check_every_s
        self._lock = threading.Lock()
        self._years: dict[int, YearDays] = {}
        self._holidays: dict[date, str] = {}
        self._makeup: dict[date, str] = {}
        self._stamp: float | None = None
        self._checked = 0.0
        self._checked_once = False

    def _index(self, years: dict[int, YearDays]) -> None:
        self._years = dict(years)
        self._holidays = {d: n for y in years.values() for d, n in y.holiday_days().items()}
        self._makeup = {d: n for y in years.values() for d, n in y.makeup_days().items()}

    def _refresh(self) -> None:
        if self.path is None:
            return
        now = time.monotonic()
        if self._stamp is not None and now - self._checked < self.check_every_s:
            return
        self._checked = now
        try:
            stamp = self.path.stat().st_mtime
        except FileNotFoundError:
            stamp = -1.0
        if stamp == self._stamp:
            return
        text = self.path.read_text(encoding="utf-8") if stamp >= 0 else ""
        self._stamp = stamp
        try:
            self._index(parse_calendar(text))
        except CalendarFileError as exc:  # edited by hand into nonsense: keep the last good
            if self._checked_once:
                logger.error("hall calendar %s unreadable, years kept: %s", self.path, exc)
                return
            raise
        finally:
            self._checked_once = True
        logger.info("hall calendar %s: years %s", self.path, sorted(self._years))

    def years(self) -> dict[int, YearDays]:
        """Year -> its days, as the file has them now."""
        with self._lock:
            self._refresh()
            return dict(self._years)

    def day_kind(self, day: date) -> DayKind | None:
        """The file's verdict on `day`, or None when the file does not list its year."""
        with self._lock:
            self._refresh()
            if day in self._holidays:
                return DayKind.HOLIDAY
            if day in self._makeup:
                return DayKind.MAKEUP
            if day.year not in self._years:
                return None
        return DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WORKDAY

    def save(self, year: YearDays) -> None:
        """Add or replace one year and write the file (atomically) if there is one."""
        with self._lock:
            self._refresh()
            years = {**self._years, year.year: year}
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.path.with_name(self.path.name + ".tmp")
                tmp.write_text(dump_calendar(years), encoding="utf-8")
                os.replace(tmp, self.path)
                self._stamp = self.path.stat().st_mtime
            self._index(years)


_hall = HallYears(Path(os.environ[ENV_FILE]) if os.environ.get(ENV_FILE) else None)


def use_file(path: Path | None) -> HallYears:
    """Read the hall's years from `path` from now on (the hub calls this at start); a file
    that cannot be read is refused at once (CalendarFileError names what is wrong)."""
    global _hall
    years = HallYears(path)
    years.years()
    _hall = years
    return _hall


def hall_years() -> HallYears:
    """The hall calendar file in use."""
    return _hall


def coverage(year: int) -> str | None:
    """Who knows `year`: "hall" (the hall's file), "package" (the national package) or None."""
    if year in _hall.years():
        return "hall"
    if year in PACKAGE_YEARS:
        return "package"
    return None


def year_to_enter(today: date) -> int | None:
    """Next year, from 1 November on, when neither the package nor the hall knows it."""
    if (today.month, today.day) < WARN_FROM:
        return None
    return today.year + 1 if coverage(today.year + 1) is None else None


class WorkCalendar:
    """The national calendar and the hall's calendar file, with a hall's own days on top."""

    def __init__(
        self, extra_workdays: Iterable[date] = (), extra_holidays: Iterable[date] = ()
    ) -> None:
        """Build from the hall's own days (they win over both calendars)."""
        self.extra_workdays = frozenset(extra_workdays)
        self.extra_holidays = frozenset(extra_holidays)
        clash = self.extra_workdays & self.extra_holidays
        if clash:
            raise CalendarError(
                f"days both extra workday and holiday: {sorted(clash)}",
                key="calendar.both",
                day=min(clash),
            )

    def day_kind(self, day: date) -> DayKind:
        """What kind of day `day` is; raises CalendarError for an unknown year."""
        if day in self.extra_workdays:
            return DayKind.HALL_WORKDAY
        if day in self.extra_holidays:
            return DayKind.HALL_HOLIDAY
        return _hall.day_kind(day) or national_day_kind(day)

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
