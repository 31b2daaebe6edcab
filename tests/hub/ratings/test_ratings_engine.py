"""The pure ratings rules: on post, binding, one rating per service, statistics, service-star
ranking, the hall's rating scheme (the follow-up's: test_followup_rules.py)."""

from __future__ import annotations

from datetime import date

import pytest

from hub.ratings.engine import (
    OnPost,
    Refusal,
    ServiceRecord,
    bind,
    on_post,
    quarter_of,
    quarter_range,
    satisfaction,
    service_stars,
)
from hub.ratings.scheme import RatingSettings

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
    assert RatingSettings.from_dict({"contact_days": 2}).close_days == 10
    assert RatingSettings.from_dict({"resolve_days": 7}).close_days == 7  # stored by name of old
    with pytest.raises(ValueError, match="unknown"):
        RatingSettings.from_dict({"contact_dayz": 2})
    with pytest.raises(ValueError):
        RatingSettings.from_dict({"contact_days": 11})
    with pytest.raises(ValueError, match="overall"):
        RatingSettings.from_dict({"dimensions": ["attitude"]})
    with pytest.raises(ValueError, match="overall"):
        RatingSettings.from_dict({"dimensions": ["overall", "speed"]})


def test_the_default_scheme_is_the_national_one() -> None:
    # rule RATE-1: five levels; overall, efficiency, service level, attitude; RATE-3 same day
    s = RatingSettings()
    assert s.scheme == "national"
    assert s.dimensions == ("overall", "efficiency", "service_level", "attitude")
    assert s.contact_days == 0
    assert [s.dissatisfied(lv) for lv in (1, 2, 3, 4, 5, None)] == [
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    again = RatingSettings.from_dict(s.to_dict())
    assert again == s
