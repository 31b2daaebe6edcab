"""Workdays from the national calendar, 调休 make-up days, and a hall's own days (ATT-10)."""

from __future__ import annotations

from datetime import date

import pytest

from hub.attendance.calendar import CalendarError, DayKind, WorkCalendar


def test_national_days():
    cal = WorkCalendar()
    assert cal.day_kind(date(2024, 10, 12)) is DayKind.MAKEUP  # a Saturday make-up workday
    assert cal.is_workday(date(2024, 10, 12))
    assert cal.day_kind(date(2024, 10, 1)) is DayKind.HOLIDAY  # National Day
    assert cal.day_kind(date(2024, 10, 7)) is DayKind.HOLIDAY  # a Monday off
    assert cal.day_kind(date(2024, 10, 13)) is DayKind.WEEKEND
    assert cal.day_kind(date(2024, 10, 8)) is DayKind.WORKDAY
    assert len(cal.workdays(date(2025, 4, 1), date(2025, 4, 30))) == 22  # incl. Sun 27 April


def test_hall_days_win():
    cal = WorkCalendar(extra_workdays=[date(2024, 10, 13)], extra_holidays=[date(2024, 10, 8)])
    assert cal.is_workday(date(2024, 10, 13))
    assert not cal.is_workday(date(2024, 10, 8))
    with pytest.raises(CalendarError, match="both"):
        WorkCalendar(extra_workdays=[date(2024, 1, 2)], extra_holidays=[date(2024, 1, 2)])


def test_unknown_year_is_an_error_not_a_guess():
    with pytest.raises(CalendarError, match="no data for 2040"):
        WorkCalendar().is_workday(date(2040, 3, 1))
