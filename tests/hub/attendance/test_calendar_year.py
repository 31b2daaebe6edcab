"""A calendar that never runs out (point 18.2, rule ATT-10): the State Council's notice read
into the hall's calendar file, the same days as the national package for published years, 2027
refused in words until entered and judged once it is, and the warning from 1 November."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hub.attendance import calendar as cal
from hub.attendance.calendar_file import (
    CalendarFileError,
    YearDays,
    dump_calendar,
    parse_calendar,
    parse_notice,
)
from hub.dashboard.calendar_page import package_days
from tests.support.notices import NOTICE_2025, NOTICE_2026, NOTICE_2027_TEST


@pytest.mark.parametrize(("text", "year"), [(NOTICE_2025, 2025), (NOTICE_2026, 2026)])
def test_a_published_notice_gives_exactly_the_packages_days(text: str, year: int) -> None:
    days = parse_notice(text)
    off, makeup = package_days(year)
    assert days.year == year and set(days.holiday_days()) == set(off)
    assert set(days.makeup_days()) == set(makeup)
    assert days.source.startswith(f"国务院办公厅关于{year}年")
    assert parse_calendar(dump_calendar({year: days})) == {year: days}  # the file round-trips


def test_nonsense_is_refused_with_the_reason() -> None:
    with pytest.raises(CalendarFileError) as no_items:
        parse_notice("明年照常放假", 2027)
    assert no_items.value.key == "calendar.notice_no_items"
    with pytest.raises(CalendarFileError) as weekday:  # a make-up day must be a weekend day
        parse_notice("一、元旦：1月1日放假。1月4日（周一）上班。", 2027)
    assert weekday.value.key == "calendar.makeup_weekday"
    bad_files = {
        "[2027]\nholidays = [{ name = 'x', from = 2027-01-05, to = 2027-01-01 }]": "bad_range",
        "[2027]\nholidays = [{ name = 'x', from = 2027-01-01, to = 2027-03-01 }]": "bad_range",
        "[2027]\nholidays = [{ name = 'x', from = 2029-01-01 }]": "wrong_year",
        "[abc]\nholidays = []": "bad_key",
        "[2027]\nholidays = [{ name = 'x' }]": "bad_entry",
        "[2027]\nholidays = [{ name = 'x', from = '1 Jan' }]": "bad_date",
        "[2027\n": "bad_toml",
        "[2027]\nholidays = []": "no_holidays",
        "[2027]\nholidays = [{ name = 'a', from = 2027-01-01, to = 2027-01-03 },"
        " { name = 'b', from = 2027-01-03 }]": "overlap",
    }
    for text, reason in bad_files.items():
        with pytest.raises(CalendarFileError) as refused:
            parse_calendar(text)
        assert refused.value.key == f"calendar.{reason}", text


def test_2027_is_refused_in_words_then_judged_once_entered(hall_calendar: Path) -> None:
    work = cal.WorkCalendar()
    with pytest.raises(cal.CalendarError) as unknown:
        work.is_workday(date(2027, 1, 4))
    assert unknown.value.key == "calendar.year_unknown" and unknown.value.values == {"year": 2027}
    assert "2027" in str(unknown.value)  # programs and logs keep an English message
    assert cal.coverage(2027) is None and cal.coverage(2026) == "package"
    cal.hall_years().save(parse_notice(NOTICE_2027_TEST))
    assert cal.coverage(2027) == "hall" and hall_calendar.exists()
    assert work.day_kind(date(2027, 1, 1)) is cal.DayKind.HOLIDAY
    assert work.day_kind(date(2027, 1, 4)) is cal.DayKind.WORKDAY
    assert work.day_kind(date(2027, 2, 20)) is cal.DayKind.MAKEUP  # 调休: a Saturday worked
    assert work.day_kind(date(2027, 1, 9)) is cal.DayKind.WEEKEND
    assert len(work.workdays(date(2027, 1, 1), date(2027, 1, 31))) == 20  # 21 weekdays - 元旦
    # another process (or a hand edit) sees the file, and the file wins for its year
    other = cal.HallYears(hall_calendar, check_every_s=0)
    assert set(other.years()) == {2027}
    hall_calendar.write_text(
        hall_calendar.read_text(encoding="utf-8") + "\n[2028\n", encoding="utf-8"
    )
    assert set(other.years()) == {2027}  # a broken edit keeps the last good years, logged
    with pytest.raises(CalendarFileError):
        cal.use_file(hall_calendar)  # but a hub starting on a broken file is told at once


def test_next_year_is_warned_from_1_november(hall_calendar: Path) -> None:
    assert cal.year_to_enter(date(2026, 10, 31)) is None
    assert cal.year_to_enter(date(2026, 11, 1)) == 2027
    assert cal.year_to_enter(date(2025, 11, 20)) is None  # 2026 is in the package
    cal.hall_years().save(parse_notice(NOTICE_2027_TEST))
    assert cal.year_to_enter(date(2026, 12, 3)) is None


def test_the_hall_entry_wins_over_the_package_for_its_year(hall_calendar: Path) -> None:
    days = parse_notice(NOTICE_2026)
    moved = YearDays(2026, days.holidays, (*days.workdays, (date(2026, 3, 7), "本厅")), "")
    cal.hall_years().save(moved)
    assert cal.WorkCalendar().day_kind(date(2026, 3, 7)) is cal.DayKind.MAKEUP
    assert cal.national_day_kind(date(2026, 3, 7)) is cal.DayKind.WEEKEND
