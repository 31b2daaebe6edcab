"""The pure ratings rules: on post, binding, one rating per service, follow-up deadlines and
states over weekends and holidays (national calendar), statistics, service-star ranking."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hub.attendance.calendar import WorkCalendar
from hub.ratings.engine import (
    FollowupError,
    OnPost,
    RatingSettings,
    Refusal,
    ServiceRecord,
    bind,
    followup_deadlines,
    on_post,
    overdue,
    quarter_of,
    quarter_range,
    satisfaction,
    service_stars,
    step,
)
from hub.workdays import add_workdays

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
SERVED = ServiceRecord(date(2026, 11, 23), "w01", "A012", "social", served=True)


def test_on_post_prefers_the_window_punch_over_the_assignment() -> None:
    # rule RATE-2: the one actually at the window is who punched at its terminal
    assert on_post("S1", "S2") == OnPost("S2", "punch")
    assert on_post("S1", None) == OnPost("S1", "assignment")
    assert on_post(None, None) == OnPost(None, None)


def test_binding_goes_to_the_staff_present_and_flags_a_mismatch() -> None:
    # rule RATE-2
    ok = bind("A012", "S1", SERVED, False, OnPost("S1", "punch"))
    assert ok.refusal is None and ok.staff_id == "S1" and not ok.mismatch
    bad = bind("A012", "S1", SERVED, False, OnPost("S2", "punch"))
    assert bad.refusal is None and bad.staff_id == "S2" and bad.mismatch
    assert bad.detail == "device showed S1, S2 is on post"
    unknown = bind("A012", "S1", SERVED, False, OnPost(None, None))
    assert unknown.staff_id == "S1" and not unknown.mismatch


def test_refusals_say_why() -> None:
    # rule RATE-1: one rating per service (一次一评); nothing bound without a service
    present = OnPost("S1", "assignment")
    assert bind(None, "S1", None, False, present).refusal is Refusal.NO_SERVICE
    assert bind("A099", "S1", None, False, present).refusal is Refusal.UNKNOWN_SERVICE
    skipped = ServiceRecord(SERVED.day, "w01", "A012", "social", served=False)
    assert bind("A012", "S1", skipped, False, present).refusal is Refusal.NOT_SERVED
    dup = bind("A012", "S1", SERVED, True, present)
    assert dup.refusal is Refusal.DUPLICATE and "one rating per service" in dup.detail


def test_workdays_skip_weekends() -> None:
    # rule RATE-3 with ATT-10: a Friday rating is contacted by the end of Monday
    fri = datetime(2026, 11, 20, 16, 0, tzinfo=TZ)
    contact, resolve = followup_deadlines(fri, TZ, RatingSettings(), CAL.is_workday)
    assert contact == datetime(2026, 11, 24, 0, 0, tzinfo=TZ)
    assert resolve == datetime(2026, 11, 28, 0, 0, tzinfo=TZ)


def test_workdays_skip_the_national_day_holiday_and_count_the_makeup_saturday() -> None:
    # rule RATE-3 with ATT-10: 2026-10-01..07 are holidays, Sat 2026-10-10 is a 调休 workday
    eve = datetime(2026, 9, 30, 15, 0, tzinfo=TZ)
    contact, resolve = followup_deadlines(eve, TZ, RatingSettings(), CAL.is_workday)
    assert contact == datetime(2026, 10, 9, 0, 0, tzinfo=TZ)  # end of Thu 10-08
    assert resolve == datetime(2026, 10, 14, 0, 0, tzinfo=TZ)  # 8, 9, 10 (Sat), 12, 13
    hall = RatingSettings(contact_days=2, resolve_days=3)  # per-hall settings
    contact, resolve = followup_deadlines(eve, TZ, hall, CAL.is_workday)
    assert (contact.date(), resolve.date()) == (date(2026, 10, 10), date(2026, 10, 11))
    assert add_workdays(date(2026, 10, 3), 0, CAL.is_workday) == date(2026, 10, 8)


def test_followup_steps_in_order_and_overdue() -> None:
    # rule RATE-3: assigned, contacted, resolved, audited
    assert step("open", "assign") == "assigned"
    assert step("assigned", "contacted") == "contacted"
    assert step("contacted", "resolved") == "resolved"
    assert step("resolved", "audited") == "audited"
    with pytest.raises(FollowupError, match="cannot mark resolved"):
        step("open", "resolved")
    with pytest.raises(FollowupError):
        step("audited", "assign")
    due1 = datetime(2026, 11, 24, tzinfo=TZ)
    due5 = datetime(2026, 11, 28, tzinfo=TZ)
    late = datetime(2026, 11, 25, 9, tzinfo=TZ)
    assert overdue("open", due1, due5, None, None, late) == ["contact_overdue"]
    assert overdue("contacted", due1, due5, late, None, late) == []
    later = datetime(2026, 11, 30, tzinfo=TZ)
    assert overdue("assigned", due1, due5, None, None, later) == [
        "contact_overdue",
        "resolve_overdue",
    ]
    assert overdue("resolved", due1, due5, late, later, later) == []


def test_satisfaction_shares_and_index() -> None:
    # rule RATE-4: share per level and a 0-100 index; not rated counts in the total only
    s = satisfaction([5, 5, 4, 1, None])
    assert (s.total, s.rated) == (5, 4)
    assert s.counts == {5: 2, 4: 1, 3: 0, 2: 0, 1: 1}
    assert s.shares[5] == 0.5 and s.shares[1] == 0.25
    assert s.satisfied_share == 0.75
    assert s.index == 68.8  # (100 + 100 + 75 + 0) / 4
    empty = satisfaction([None])
    assert empty.index is None and empty.total == 1


def test_service_star_ranking() -> None:
    # rule RATE-4: quarterly service star (服务标兵) by index, minimum rated services
    settings = RatingSettings(star_min_rated=3, star_count=1)
    ratings = (
        [("S1", 5)] * 4
        + [("S2", 5)] * 2  # perfect but too few: ranked, not eligible
        + [("S3", 5), ("S3", 4), ("S3", 4), ("S3", None)]
        + [("S4", 5), ("S4", 5), ("S4", 1)]
    )
    ranking = service_stars(ratings, settings)
    assert [(e.staff_id, e.rank, e.star, e.eligible) for e in ranking] == [
        ("S1", 1, True, True),
        ("S2", 2, False, False),
        ("S3", 3, False, True),
        ("S4", 4, False, True),
    ]
    assert ranking[2].rated == 3 and ranking[3].dissatisfied == 1


def test_quarters_and_settings_validation() -> None:
    assert quarter_of(date(2026, 11, 23)) == "2026Q4"
    assert quarter_range("2026Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_range("2026Q1") == (date(2026, 1, 1), date(2026, 3, 31))
    with pytest.raises(ValueError):
        quarter_range("2026-4")
    assert RatingSettings.from_dict({"contact_days": 2}).resolve_days == 5
    with pytest.raises(ValueError, match="unknown"):
        RatingSettings.from_dict({"contact_dayz": 2})
    with pytest.raises(ValueError):
        RatingSettings.from_dict({"contact_days": 6})
