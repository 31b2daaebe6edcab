"""The monthly roster as an office writes it: rows, files and templates (rule DUTY-1)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from hub.attendance.calendar import WorkCalendar
from hub.duty.demo_roster import day_entries
from hub.duty.roster import Role, diff, parse_rows
from hub.duty.rosterio import (
    RosterFileError,
    read_roster,
    template_csv,
    template_rows,
    template_xlsx,
)
from models.layout import load_hall

HALL = load_hall(Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo")
WORKDAY = WorkCalendar().is_workday
STAFF = {"S011", "S012", "S021", "S901", "S905"}


def parse(text: str, month: str | None = "2026-12", known: set[str] | None = STAFF):  # type: ignore[no-untyped-def]
    rows = read_roster(text.encode("utf-8"), "r.csv")
    return parse_rows(rows, HALL, known_staff=known, workday=WORKDAY, month=month)


def test_rows_name_a_day_a_month_or_a_range_and_chinese_words_work() -> None:
    """Rule DUTY-1: Chinese headers; a month means its workdays; 首席代表 is the window's."""
    parsed = parse(
        "工号,日期,岗位,岗别\n"
        "S011,2026-12,w01-a,A岗\n"
        "S012,2026-12-07~2026-12-11,w01-a,B\n"
        "S021,2026-12-07,w02,a\n"
        "S011,2026-12-07,w01,首席代表\n"
    )
    assert parsed.ok, parsed.issues
    a = [e for e in parsed.entries if e.staff_id == "S011" and e.role is Role.A]
    assert len(a) == 23 and all(e.seat == "w01-a" and not e.holiday for e in a)  # Dec 2026
    assert len([e for e in parsed.entries if e.role is Role.B]) == 5
    (w02,) = [e for e in parsed.entries if e.staff_id == "S021"]
    assert (w02.window, w02.seat, w02.role) == ("w02", "w02-a", Role.A)
    (chief,) = [e for e in parsed.entries if e.role is Role.CHIEF]
    assert (chief.window, chief.seat) == ("w01", None)


def test_a_sunday_is_holiday_duty_by_appointment() -> None:
    """Rule ATT-10: an explicit non-workday is holiday duty (overtime for approval)."""
    parsed = parse("staff_id,date,seat,role\nS021,2026-12-06,w02-a,A\n")
    (e,) = parsed.entries
    assert e.holiday and e.day == date(2026, 12, 6)


@pytest.mark.parametrize(
    ("row", "key"),
    [
        ("S011,2026-12-07,w99-a,A", "roster_err_seat"),
        ("S011,2026-12-07,w01-a,X", "roster_err_role"),
        ("S011,2026-13-07,w01-a,A", "roster_err_date"),
        ("S999,2026-12-07,w01-a,A", "roster_err_staff"),
        ("S011,2027-01-04,w01-a,A", "roster_err_month"),
        ("S011,,w01-a,A", "roster_err_missing"),
        ("S011,2026-12-07,w01,A", "roster_err_seat"),  # a two-seat window names no seat
    ],
)
def test_a_bad_row_is_refused_with_its_line_and_reason(row: str, key: str) -> None:
    """A confused office: every bad row gets a reason naming its line."""
    parsed = parse(f"staff_id,date,seat,role\nS012,2026-12-07,w01-b,A\n{row}\n")
    assert not parsed.ok
    errors = [i for i in parsed.issues if i.error]
    assert errors[0].key == key and errors[0].line == 3


def test_clashes_are_refused() -> None:
    """Two A holders of a seat, one person on two seats, A and B the same person."""
    parsed = parse(
        "staff_id,date,seat,role\n"
        "S011,2026-12-07,w01-a,A\n"
        "S012,2026-12-07,w01-a,A\n"
        "S021,2026-12-07,w02-a,A\n"
        "S021,2026-12-07,w01-b,A\n"
        "S901,2026-12-07,w04-a,A\n"
        "S901,2026-12-07,w04-a,B\n"
    )
    keys = sorted(i.key for i in parsed.issues if i.error)
    assert keys == ["roster_err_a_is_b", "roster_err_two_holders", "roster_err_two_seats"]


def test_a_window_left_without_an_a_holder_is_a_warning() -> None:
    """Rule DUTY-1 (杜绝前台窗口空岗): a rostered day with a window nobody holds is warned of."""
    parsed = parse("staff_id,date,seat,role\nS011,2026-12-07,w01-a,A\n")
    assert parsed.ok
    warned = {dict(i.values)["window"] for i in parsed.issues if i.key == "roster_warn_no_a"}
    assert warned == {w.id for w in HALL.windows} - {"w01"}


def test_template_round_trips_through_csv_and_xlsx() -> None:
    """The downloadable template reads back as the same roster."""
    entries = day_entries(HALL, date(2026, 12, 7))
    known = {e.staff_id for e in entries}
    for data, name in (
        (template_csv(template_rows(entries)), "t.csv"),
        (template_xlsx(template_rows(entries), {"工号": "staff number"}), "t.xlsx"),
    ):
        rows = read_roster(data, name)
        parsed = parse_rows(rows, HALL, known_staff=known, workday=WORKDAY, month="2026-12")
        assert parsed.ok and sorted(parsed.entries, key=str) == sorted(entries, key=str)
        assert diff(entries, parsed.entries) == []


def test_an_excel_saved_gbk_csv_and_an_xlsx_with_real_dates_are_read() -> None:
    """Excel in China saves CSV as GBK, and XLSX date cells as dates."""
    gbk = "工号,日期,岗位,岗别\nS011,2026-12-07,w01-a,A岗\n".encode("gbk")
    assert read_roster(gbk, "r.csv")[0][1]["role"] == "A岗"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["工号", "日期", "岗位", "岗别"])
    sheet.append(["S011", date(2026, 12, 7), "w01-a", "A"])
    buf = io.BytesIO()
    book.save(buf)
    assert read_roster(buf.getvalue(), "r.xlsx") == [
        (2, {"staff_id": "S011", "date": "2026-12-07", "seat": "w01-a", "role": "A"})
    ]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "roster_err_empty"),
        (b"name,when\nx,y\n", "roster_err_header"),
        (b"PK\x03\x04garbage", "roster_err_xlsx"),
        (b"\xff\xfe\x00\x00\x81", "roster_err_encoding"),
    ],
)
def test_unreadable_files_say_why(data: bytes, key: str) -> None:
    """A forged or broken upload is refused with a reason, never a crash."""
    with pytest.raises(RosterFileError) as err:
        read_roster(data, "x.xlsx" if data.startswith(b"PK") else "x.csv")
    assert err.value.issue.key == key
