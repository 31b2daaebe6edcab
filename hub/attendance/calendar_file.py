"""The hall's calendar file: a year's public holidays and make-up workdays (调休上班), as the
State Council publishes them each November, for years the national calendar package does not
know yet (rule ATT-10). Pure: text in, plain values out.

The file is TOML, one table per year (documented in hub/attendance/CALENDAR.md):

    [2027]
    source = "国务院办公厅关于2027年部分节假日安排的通知"
    holidays = [
      { name = "元旦", from = 2027-01-01, to = 2027-01-01 },
      { name = "春节", from = 2027-02-06, to = 2027-02-13 },
    ]
    workdays = [ { day = 2027-02-20, name = "春节" } ]

`parse_notice` reads the notice's own text (一、元旦：1月1日放假… 2月20日（周六）上班。).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import tomli_w

from hub.problems import InvalidProblem

MAX_HOLIDAY_DAYS = 15
"""A longer run of holidays in one entry is a typing error, not a holiday."""


class CalendarFileError(InvalidProblem):
    """The calendar file or notice text cannot be read; the key says why, in words."""

    def __init__(self, key: str, **values: object) -> None:
        """`key` names the reason (catalogue `calendar.<reason>`); values fill it."""
        super().__init__(key, field="text")
        self.values = values


@dataclass(frozen=True, slots=True)
class Holiday:
    """A named run of days off: from its first to its last day."""

    name: str
    first: date
    last: date

    def days(self) -> list[date]:
        """Every day of the run."""
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


@dataclass(frozen=True, slots=True)
class YearDays:
    """One year's holidays and make-up workdays, as the State Council's notice gives them."""

    year: int
    holidays: tuple[Holiday, ...]
    workdays: tuple[tuple[date, str], ...]
    source: str = ""

    def holiday_days(self) -> dict[date, str]:
        """Each day off -> the holiday's name."""
        return {d: h.name for h in self.holidays for d in h.days()}

    def makeup_days(self) -> dict[date, str]:
        """Each make-up workday -> the holiday it makes up for."""
        return dict(self.workdays)


def check_year(days: YearDays) -> YearDays:
    """The year's days, or a CalendarFileError saying what does not make sense."""
    if not 2000 <= days.year <= 2100:
        raise CalendarFileError("calendar.bad_year", year=days.year)
    if not days.holidays:
        raise CalendarFileError("calendar.no_holidays", year=days.year)
    for h in days.holidays:
        if h.last < h.first or (h.last - h.first).days >= MAX_HOLIDAY_DAYS:
            raise CalendarFileError("calendar.bad_range", name=h.name, first=h.first, last=h.last)
        if abs(h.first.year - days.year) > 1 or h.last.year > days.year + 1:
            raise CalendarFileError("calendar.wrong_year", day=h.first, year=days.year)
    off = days.holiday_days()
    for day, name in days.workdays:
        if day in off:
            raise CalendarFileError("calendar.both", day=day)
        if day.weekday() < 5:
            raise CalendarFileError("calendar.makeup_weekday", day=day, name=name)
        if day.year != days.year:
            raise CalendarFileError("calendar.wrong_year", day=day, year=days.year)
    if len(off) != sum(len(h.days()) for h in days.holidays):
        raise CalendarFileError("calendar.overlap", year=days.year)
    return days


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CalendarFileError("calendar.bad_date", where=where, value=str(value)) from None


def parse_calendar(text: str) -> dict[int, YearDays]:
    """The years of a calendar file (TOML); CalendarFileError on anything that does not fit."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # the parser's English kept out: where, in words
        at = re.search(r"line (\d+), column (\d+)", str(exc))
        if at is None:
            raise CalendarFileError("calendar.bad_toml_plain") from None
        raise CalendarFileError("calendar.bad_toml", line=at[1], column=at[2]) from None
    out: dict[int, YearDays] = {}
    for key, table in doc.items():
        if not key.isdigit() or not isinstance(table, dict):
            raise CalendarFileError("calendar.bad_key", name=key)
        year = int(key)
        try:
            holidays = tuple(
                Holiday(
                    str(h.get("name", "")),
                    _date(h["from"], f"{year} {h.get('name', '')}"),
                    _date(h.get("to", h["from"]), f"{year} {h.get('name', '')}"),
                )
                for h in table.get("holidays", [])
            )
            workdays = tuple(
                (_date(w["day"], f"{year} workdays"), str(w.get("name", "")))
                for w in table.get("workdays", [])
            )
        except (KeyError, TypeError, AttributeError):
            raise CalendarFileError("calendar.bad_entry", year=year) from None
        out[year] = check_year(YearDays(year, holidays, workdays, str(table.get("source", ""))))
    return out


def dump_calendar(years: dict[int, YearDays]) -> str:
    """A calendar file's text for these years (the format parse_calendar reads)."""
    doc: dict[str, Any] = {}
    for year in sorted(years):
        y = years[year]
        doc[str(year)] = {
            "source": y.source,
            "holidays": [{"name": h.name, "from": h.first, "to": h.last} for h in y.holidays],
            "workdays": [{"day": d, "name": n} for d, n in y.workdays],
        }
    return tomli_w.dumps(doc)


_ITEM = re.compile(r"[一二三四五六七八九十]+、\s*([^：:\n]+)[：:]")
_ASIDE = re.compile(r"（[^）]*）|\([^)]*\)")
_OFF = re.compile(r"(\d{1,2})月(\d{1,2})日(?:至(?:(\d{1,2})月)?(\d{1,2})日)?(?:放假|休息)")
_DAY = re.compile(r"(\d{1,2})月(\d{1,2})日")
_YEAR = re.compile(r"(20\d\d)年")


def _day(year: int, month: str | None, day: str, near: date | None = None) -> date:
    m = int(month) if month else (near.month if near else 1)
    y = year
    if near is not None and m < near.month:  # 12月31日至1月2日: into the next year
        y = near.year + 1
    try:
        return date(y, m, int(day))
    except ValueError:
        raise CalendarFileError("calendar.bad_date", where=f"{m}月{day}日", value=day) from None


def parse_notice(text: str, year: int | None = None) -> YearDays:
    """A year's days from the State Council's notice text (国务院办公厅关于…节假日安排的通知)."""
    found = _YEAR.search(text)
    if year is None:
        if found is None:
            raise CalendarFileError("calendar.notice_no_year")
        year = int(found.group(1))
    items = list(_ITEM.finditer(text))
    if not items:
        raise CalendarFileError("calendar.notice_no_items")
    holidays, workdays = [], []
    for i, item in enumerate(items):
        name = item.group(1).strip()
        end = items[i + 1].start() if i + 1 < len(items) else len(text)
        body = _ASIDE.sub("", text[item.end() : end])
        off = _OFF.search(body)
        if off is None:
            raise CalendarFileError("calendar.notice_no_dates", name=name)
        first_year = year - 1 if int(off.group(1)) == 12 and i == 0 else year
        first = _day(first_year, off.group(1), off.group(2))
        last = _day(first_year, off.group(3), off.group(4), first) if off.group(4) else first
        holidays.append(Holiday(name, first, last))
        for sentence in body.split("。"):
            if "上班" in sentence and "放假" not in sentence:
                workdays += [(_day(year, m, d), name) for m, d in _DAY.findall(sentence)]
    source = text.strip().splitlines()[0].strip()[:120] if found else ""
    return check_year(YearDays(year, tuple(holidays), tuple(workdays), source))
