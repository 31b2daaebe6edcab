"""The follow-up of a dissatisfied rating, pure: same-working-day contact over weekends and
holidays (national calendar), the steps in order, rectification deadlines, overdue (RATE-3)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hub.attendance.calendar import WorkCalendar
from hub.ratings.followup_rules import (
    FollowupError,
    deadlines,
    next_state,
    overdue,
    rectify_due,
)
from hub.ratings.scheme import RatingSettings
from hub.workdays import add_workdays

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()


def test_a_dissatisfied_rating_is_followed_up_the_same_working_day() -> None:
    # rule RATE-3: 即时回访, by the end of the rating's own working day
    mon = datetime(2026, 11, 23, 16, 0, tzinfo=TZ)
    due = deadlines(mon, TZ, RatingSettings(), CAL.is_workday)
    assert due.contact_due == datetime(2026, 11, 24, 0, 0, tzinfo=TZ)
    assert due.close_due == datetime(2026, 12, 8, 0, 0, tzinfo=TZ)  # 10 working days


def test_a_rating_on_a_day_off_is_followed_up_the_next_working_day() -> None:
    # rule RATE-3 with ATT-10: holiday duty on 2026-10-03; 10-08 is the next working day
    holiday = datetime(2026, 10, 3, 10, 0, tzinfo=TZ)
    due = deadlines(holiday, TZ, RatingSettings(), CAL.is_workday)
    assert due.contact_due == datetime(2026, 10, 9, 0, 0, tzinfo=TZ)
    hall = RatingSettings(contact_days=1, close_days=3)  # per-hall settings
    eve = datetime(2026, 9, 30, 15, 0, tzinfo=TZ)
    due = deadlines(eve, TZ, hall, CAL.is_workday)
    assert (due.contact_due.date(), due.close_due.date()) == (date(2026, 10, 9), date(2026, 10, 11))
    assert add_workdays(date(2026, 10, 3), 0, CAL.is_workday) == date(2026, 10, 8)


def test_steps_in_order_substantiated_is_rectified_before_closing() -> None:
    # rule RATE-3
    assert next_state("open", "assign") == "assigned"
    assert next_state("assigned", "attempt") == "assigned"  # not reached: logged, stays
    assert next_state("assigned", "contacted") == "contacted"
    assert next_state("contacted", "verified", "substantiated") == "verified"
    with pytest.raises(FollowupError, match="err_rectify_first"):
        next_state("verified", "closed", "substantiated")
    assert next_state("verified", "rectify", "partly") == "rectifying"
    assert next_state("rectifying", "rectified") == "rectified"
    assert next_state("rectified", "closed") == "closed"
    assert next_state("closed", "audited") == "audited"
    assert next_state("verified", "closed", "unfounded") == "closed"
    with pytest.raises(FollowupError, match="err_unfounded_rectify"):
        next_state("verified", "rectify", "unfounded")
    with pytest.raises(FollowupError, match="err_not_now"):
        next_state("open", "rectified")
    with pytest.raises(FollowupError, match="err_not_now"):
        next_state("audited", "assign")
    with pytest.raises(FollowupError, match="err_unknown_action"):
        next_state("open", "resolved")


def test_the_rectification_deadline_is_a_setting_and_never_later() -> None:
    mon = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)
    settings = RatingSettings(rectify_days=3)
    assert rectify_due(mon, TZ, settings, CAL.is_workday) == datetime(2026, 11, 27, tzinfo=TZ)
    earlier = rectify_due(mon, TZ, settings, CAL.is_workday, date(2026, 11, 24))
    assert earlier == datetime(2026, 11, 25, tzinfo=TZ)
    with pytest.raises(FollowupError, match="err_due_late \\(days=3"):
        rectify_due(mon, TZ, settings, CAL.is_workday, date(2026, 12, 15))
    with pytest.raises(FollowupError, match="err_due_past"):
        rectify_due(mon, TZ, settings, CAL.is_workday, date(2026, 11, 20))


def test_overdue_contact_rectification_and_closure() -> None:
    # rule RATE-3
    contact = datetime(2026, 11, 24, tzinfo=TZ)
    close = datetime(2026, 12, 8, tzinfo=TZ)
    rect = datetime(2026, 11, 30, tzinfo=TZ)
    tue = datetime(2026, 11, 24, 9, tzinfo=TZ)
    assert overdue("open", contact, close, None, None, tue) == ["contact_overdue"]
    assert overdue("contacted", contact, close, None, tue, tue) == []
    assert overdue("verified", contact, close, None, None, tue) == []  # verified: in hand
    dec = datetime(2026, 12, 1, tzinfo=TZ)
    assert overdue("rectifying", contact, close, rect, tue, dec) == ["rectify_overdue"]
    late = datetime(2026, 12, 9, tzinfo=TZ)
    assert overdue("assigned", contact, close, None, None, late) == [
        "contact_overdue",
        "close_overdue",
    ]
    assert overdue("closed", contact, close, rect, tue, late) == []
