"""Complaints, pure: the steps in order, deadlines counted in working days from a complaint
taken on a day off, overdue, and what a citizen may type (DUTY-6)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.attendance.calendar import WorkCalendar
from hub.complaints.rules import (
    ComplaintError,
    ComplaintInputError,
    ComplaintSettings,
    check_happened,
    clean_text,
    deadlines,
    next_state,
    overdue,
)

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()


def test_steps_in_order() -> None:
    # rule DUTY-6: each is investigated, and the outcome told to the complainant
    assert next_state("open", "assign") == "assigned"
    assert next_state("assigned", "investigate") == "investigating"
    assert next_state("investigating", "answer") == "answered"
    assert next_state("answered", "close") == "closed"
    with pytest.raises(ComplaintError) as err:
        next_state("open", "answer")  # not answered before it is investigated
    assert err.value.key == "complaint.err_not_now" and err.value.status == 409
    with pytest.raises(ComplaintError):
        next_state("closed", "assign")
    with pytest.raises(ComplaintInputError):
        next_state("open", "delete")


def test_a_complaint_taken_on_a_holiday_counts_from_the_next_working_day() -> None:
    # rule DUTY-6: 24小时受理; the time limit runs in working days (ATT-10)
    holiday = datetime(2026, 10, 2, 21, 0, tzinfo=TZ)
    due = deadlines(holiday, TZ, ComplaintSettings(), CAL.is_workday)
    assert due.acknowledge_due == datetime(2026, 10, 9, 0, 0, tzinfo=TZ)  # the 8th's end
    assert due.answer_due == datetime(2026, 10, 14, 0, 0, tzinfo=TZ)  # 8, 9, 10 (调休), 12, 13
    late = datetime(2026, 10, 9, 9, 0, tzinfo=TZ)
    assert overdue("open", due.acknowledge_due, due.answer_due, None, late) == [
        "acknowledge_overdue"
    ]
    assert overdue("assigned", due.acknowledge_due, due.answer_due, late, late) == []
    later = datetime(2026, 10, 14, 0, 1, tzinfo=TZ)
    assert overdue("investigating", due.acknowledge_due, due.answer_due, late, later) == [
        "answer_overdue"
    ]
    assert overdue("answered", due.acknowledge_due, due.answer_due, late, later) == []


def test_settings_are_checked() -> None:
    assert ComplaintSettings.from_dict({"answer_days": 10}).answer_days == 10
    with pytest.raises(ValueError, match="unknown"):
        ComplaintSettings.from_dict({"answer_dayz": 1})
    with pytest.raises(ValueError):
        ComplaintSettings.from_dict({"acknowledge_days": 6, "answer_days": 5})


def test_what_a_citizen_types_is_trimmed_and_bounded() -> None:
    assert clean_text("  窗口人员\x00态度\r\n很差  ", least=2, most=20, key="pub.err_text") == (
        "窗口人员态度\n很差"
    )
    with pytest.raises(ComplaintInputError) as err:
        clean_text("太差", least=10, most=2000, key="pub.err_text")
    assert err.value.key == "pub.err_text_too_short" and err.value.values == {"least": 10}
    with pytest.raises(ComplaintInputError):
        clean_text("长" * 2001, least=10, most=2000, key="pub.err_text")


def test_the_day_not_yet_come_is_refused() -> None:
    # rule DUTY-6: what a complaint is about has happened already (a phone's clock a little ahead)
    now = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert check_happened(None, now) is None
    assert check_happened(now - timedelta(days=30), now) == now - timedelta(days=30)
    assert check_happened(now + timedelta(minutes=5), now) == now + timedelta(minutes=5)
    with pytest.raises(ComplaintInputError) as err:
        check_happened(now + timedelta(hours=2), now)
    assert err.value.key == "pub.err_when_future"
