"""The pure engine against the rules' own examples (RULES.md "How a punch is judged")."""

from __future__ import annotations

from datetime import UTC, date

import pytest

from hub.attendance.engine import (
    CorrectionFact,
    DayRecord,
    Judge,
    LeaveFact,
    PunchFact,
    Status,
    judge,
)
from hub.attendance.policy import Policy, load_policy
from tests.hub.attendance.helpers import at, punches

WENSHANG = load_policy("wenshang-2021")
HALL = load_policy("hall-2015")
CLINIC = load_policy("clinic-4x")


def one_day(policy: Policy, day: str, facts: list[PunchFact], **kw: object) -> DayRecord:
    d = date.fromisoformat(day)
    records = judge(policy, punches=facts, start=d, end=d, roster=["s1"], **kw)  # type: ignore[arg-type]
    assert len(records) == 1
    return records[0]


def statuses(rec: DayRecord) -> list[tuple[str, str, int]]:
    return [(c.checkpoint, c.status.value, c.minutes) for c in rec.checkpoints]


def test_full_summer_day_on_time():
    # rule ATT-1, ATT-2: four punches, summer deadlines 08:30 / 12:00 / 14:00 / 18:00
    rec = one_day(
        WENSHANG, "2025-06-03", punches("s1", "2025-06-03", "08:29", "12:00", "13:58", "18:02")
    )
    assert statuses(rec) == [
        ("AM_IN", "ok", 0),
        ("AM_OUT", "ok", 0),
        ("PM_IN", "ok", 0),
        ("PM_OUT", "ok", 0),
    ]
    assert rec.by_name("AM_IN").punch == at("2025-06-03", "08:29")
    assert not any(c.corrected for c in rec.checkpoints)


def test_late_is_minutes_past_deadline_judged_at_whole_minutes():
    # rule ATT-2: arriving after 08:30 is late by the minutes past the deadline
    rec = one_day(
        WENSHANG, "2025-06-03", punches("s1", "2025-06-03", "08:30:59", "12:00", "14:12", "18:00")
    )
    assert rec.by_name("AM_IN").status is Status.OK  # 08:30 on the clock
    assert (rec.by_name("PM_IN").status, rec.by_name("PM_IN").minutes) == (Status.LATE, 12)
    rec = one_day(
        WENSHANG, "2025-06-03", punches("s1", "2025-06-03", "08:31", "11:59:30", "14:00", "18:00")
    )
    assert statuses(rec)[:2] == [("AM_IN", "late", 1), ("AM_OUT", "early", 1)]


@pytest.mark.parametrize(
    ("day", "season"),
    [
        ("2025-04-30", "winter"),
        ("2025-05-06", "summer"),  # the season changes on 1 May
        ("2025-09-30", "summer"),
        ("2025-10-09", "winter"),  # ... and on 1 October
    ],
)
def test_season_boundaries(day: str, season: str):
    # rule ATT-2: afternoon 14:00/18:00 in summer, 13:30/17:30 in winter
    rec = one_day(WENSHANG, day, punches("s1", day, "08:00", "12:00", "13:45", "17:45"))
    if season == "summer":
        assert statuses(rec)[2:] == [("PM_IN", "ok", 0), ("PM_OUT", "early", 15)]
    else:
        assert statuses(rec)[2:] == [("PM_IN", "late", 15), ("PM_OUT", "ok", 0)]


def test_season_dates_are_a_setting():
    policy = Policy.model_validate(
        {**WENSHANG.model_dump(), "season": {"summer_start": "06-01", "winter_start": "09-01"}}
    )
    rec = one_day(
        policy, "2025-05-06", punches("s1", "2025-05-06", "08:00", "12:00", "13:45", "17:45")
    )
    assert rec.by_name("PM_IN").status is Status.LATE  # still winter on 6 May


def test_makeup_saturday_is_judged_and_holidays_and_weekends_are_not():
    # rule ATT-10: 2025-10-11 is a Saturday 调休 make-up workday; 2025-10-01 a holiday
    facts = punches("s1", "2025-10-11", "08:00", "12:00", "13:30", "17:30")
    records = judge(
        WENSHANG, punches=facts, start=date(2025, 9, 27), end=date(2025, 10, 12), roster=["s1"]
    )
    days = [r.day for r in records]
    assert date(2025, 10, 11) in days and date(2025, 9, 28) in days  # make-up Sat and Sun
    assert date(2025, 10, 1) not in days and date(2025, 10, 8) not in days  # National Day
    assert date(2025, 9, 27) not in days and date(2025, 10, 12) not in days  # weekend
    assert statuses(records[days.index(date(2025, 10, 11))]) == [
        ("AM_IN", "ok", 0),
        ("AM_OUT", "ok", 0),
        ("PM_IN", "ok", 0),
        ("PM_OUT", "ok", 0),
    ]


def test_hall_own_days():
    # rule ATT-10: a hall may add its own workdays and holidays
    policy = Policy.model_validate(
        {
            **WENSHANG.model_dump(),
            "calendar": {"extra_workdays": ["2025-06-07"], "extra_holidays": ["2025-06-03"]},
        }
    )
    records = judge(policy, punches=[], start=date(2025, 6, 3), end=date(2025, 6, 7), roster=["s1"])
    assert [r.day for r in records] == [date(2025, 6, d) for d in (4, 5, 6, 7)]


def test_windows_split_at_midpoints():
    # summer wenshang-2021: the windows split at 10:15, 13:00, 16:00; a half-day's lone punch
    # counts for the checkpoint whose window holds it
    rec = one_day(WENSHANG, "2025-06-03", punches("s1", "2025-06-03", "10:14", "15:59"))
    assert statuses(rec) == [
        ("AM_IN", "absent_from_post", 104),  # rule ATT-3: 104 min late is 脱岗
        ("AM_OUT", "missing", 0),
        ("PM_IN", "absent_from_post", 119),  # 15:59 is still in the PM_IN window
        ("PM_OUT", "missing", 0),
    ]
    rec = one_day(WENSHANG, "2025-06-03", punches("s1", "2025-06-03", "10:15", "16:00"))
    assert statuses(rec) == [
        ("AM_IN", "missing", 0),
        ("AM_OUT", "absent_from_post", 105),
        ("PM_IN", "missing", 0),
        ("PM_OUT", "absent_from_post", 120),
    ]


def test_two_punches_of_a_half_day_pair_wherever_the_midpoint_falls():
    # "Which punch counts": punches min_stay (30) apart are the arrival and the leave, so
    # arriving two hours late is lateness, never a milder missing punch (rule ATT-3)
    day = "2025-06-03"
    rec = one_day(WENSHANG, day, punches("s1", day, "10:14", "12:58", "13:00", "15:59"))
    assert statuses(rec) == [
        ("AM_IN", "absent_from_post", 104),
        ("AM_OUT", "ok", 0),
        ("PM_IN", "ok", 0),
        ("PM_OUT", "absent_from_post", 121),
    ]
    rec = one_day(WENSHANG, day, punches("s1", day, "10:40", "12:00", "14:00", "18:00"))
    assert statuses(rec)[:2] == [("AM_IN", "absent_from_post", 130), ("AM_OUT", "ok", 0)]
    rec = one_day(WENSHANG, day, punches("s1", day, "09:40", "12:00", "14:00", "18:00"))
    assert statuses(rec)[:2] == [("AM_IN", "absent_from_post", 70), ("AM_OUT", "ok", 0)]
    # closer than min_stay: one arrival (or one leave), as the window of the first says
    rec = one_day(WENSHANG, day, punches("s1", day, "10:10", "10:35", "14:00", "18:00"))
    assert statuses(rec)[:2] == [("AM_IN", "absent_from_post", 100), ("AM_OUT", "missing", 0)]
    rec = one_day(WENSHANG, day, punches("s1", day, "10:20", "10:45", "14:00", "18:00"))
    assert statuses(rec)[:2] == [("AM_IN", "missing", 0), ("AM_OUT", "absent_from_post", 75)]
    wide = Policy.model_validate({**WENSHANG.model_dump(), "min_stay": 20})
    rec = one_day(wide, day, punches("s1", day, "10:10", "10:35", "14:00", "18:00"))
    assert statuses(rec)[:2] == [
        ("AM_IN", "absent_from_post", 100),
        ("AM_OUT", "absent_from_post", 85),
    ]


def test_open_before_and_close_after():
    # the first window opens 120 min before 08:30; the last closes 240 min after 18:00
    rec = one_day(
        WENSHANG,
        "2025-06-03",
        punches("s1", "2025-06-03", "06:28", "06:30", "12:00", "14:00", "21:58", "22:00"),
    )
    assert rec.by_name("AM_IN").punch == at("2025-06-03", "06:30")
    assert rec.by_name("PM_OUT").punch == at("2025-06-03", "21:58")
    assert rec.stray == (at("2025-06-03", "06:28"), at("2025-06-03", "22:00"))


def test_late_stop_punch_is_never_a_fault():
    # rule ATT-11: extended service, the stop punch at 21:30 is ok
    rec = one_day(
        WENSHANG, "2025-06-03", punches("s1", "2025-06-03", "08:00", "12:40", "14:00", "21:30")
    )
    assert rec.by_name("PM_OUT").status is Status.OK
    assert rec.by_name("AM_OUT").status is Status.OK


def test_earliest_arrive_and_latest_leave_count():
    rec = one_day(
        WENSHANG,
        "2025-06-03",
        punches("s1", "2025-06-03", "08:40", "08:10", "11:50", "12:05", "14:00", "18:00"),
    )
    assert rec.by_name("AM_IN").punch == at("2025-06-03", "08:10")
    assert rec.by_name("AM_OUT").punch == at("2025-06-03", "12:05")


def test_clinic_gap_before_afternoon_sign_in():
    # rule ATT-4: the afternoon sign-in opens at 12:50; a punch at 12:45 counts for nothing
    rec = one_day(
        CLINIC, "2025-06-03", punches("s1", "2025-06-03", "07:55", "11:00", "12:45", "16:00")
    )
    assert rec.by_name("PM_IN").status is Status.MISSING
    assert rec.stray == (at("2025-06-03", "12:45"),)
    assert rec.by_name("AM_OUT").status is Status.OK  # 12:45 is not the AM_OUT punch either
    rec = one_day(
        CLINIC,
        "2025-06-03",
        punches("s1", "2025-06-03", "08:00", "11:00", "12:45", "12:50", "16:00"),
    )
    assert rec.by_name("PM_IN").status is Status.OK
    rec = one_day(CLINIC, "2025-06-03", punches("s1", "2025-06-03", "08:01", "10:58", "13:01"))
    assert statuses(rec)[:3] == [("AM_IN", "late", 1), ("AM_OUT", "early", 2), ("PM_IN", "late", 1)]


def test_hall_2015_graces_and_absence_from_post():
    # rule ATT-3: more than 15 minutes late/early is 迟到/早退; more than one hour is 脱岗
    day = "2025-06-03"  # summer: afternoon 15:00-18:00
    rec = one_day(HALL, day, punches("s1", day, "08:15", "11:45", "15:15", "17:45"))
    assert [c.status for c in rec.checkpoints] == [Status.OK] * 4
    rec = one_day(HALL, day, punches("s1", day, "08:16", "11:44", "16:00", "16:59"))
    assert statuses(rec) == [
        ("AM_IN", "late", 16),
        ("AM_OUT", "early", 16),
        ("PM_IN", "late", 60),
        ("PM_OUT", "absent_from_post", 61),
    ]
    winter = "2025-10-09"  # winter: afternoon 14:00-18:00
    rec = one_day(HALL, winter, punches("s1", winter, "08:00", "12:00", "14:16", "18:00"))
    assert rec.by_name("PM_IN").minutes == 16


def test_absent_after_is_a_setting():
    rec = one_day(
        WENSHANG, "2025-06-03", punches("s1", "2025-06-03", "09:30", "12:00", "15:01", "18:00")
    )
    assert statuses(rec)[0] == ("AM_IN", "late", 60)
    assert statuses(rec)[2] == ("PM_IN", "absent_from_post", 61)
    strict = Policy.model_validate({**WENSHANG.model_dump(), "absent_after": 30})
    rec = one_day(
        strict, "2025-06-03", punches("s1", "2025-06-03", "08:59", "12:00", "14:31", "18:00")
    )
    assert statuses(rec)[0] == ("AM_IN", "late", 29)
    assert statuses(rec)[2] == ("PM_IN", "absent_from_post", 31)


def test_dedup_repeated_punches_are_one():
    day = "2025-06-03"
    # 17:59:30 and 18:00:20 are one punch (within 60 s): the first counts, 1 minute early
    rec = one_day(
        WENSHANG, day, punches("s1", day, "08:00", "12:00", "14:00", "17:59:30", "18:00:20")
    )
    assert statuses(rec)[3] == ("PM_OUT", "early", 1)
    no_dedup = Policy.model_validate({**WENSHANG.model_dump(), "dedup_s": 0})
    rec = one_day(
        no_dedup, day, punches("s1", day, "08:00", "12:00", "14:00", "17:59:30", "18:00:20")
    )
    assert statuses(rec)[3] == ("PM_OUT", "ok", 0)
    # 61 s apart are two punches: the later counts
    rec = one_day(
        WENSHANG, day, punches("s1", day, "08:00", "12:00", "14:00", "17:59:00", "18:00:01")
    )
    assert statuses(rec)[3] == ("PM_OUT", "ok", 0)


def test_missing_punch_and_half_day_absence():
    # rule ATT-6: one missing punch is 缺卡; both of a half-day missing is 旷工 for it
    day = "2025-06-03"
    rec = one_day(WENSHANG, day, punches("s1", day, "08:00", "14:00", "18:00"))
    assert statuses(rec) == [
        ("AM_IN", "ok", 0),
        ("AM_OUT", "missing", 0),
        ("PM_IN", "ok", 0),
        ("PM_OUT", "ok", 0),
    ]
    rec = one_day(WENSHANG, day, punches("s1", day, "08:00", "12:00"))
    assert [c.status for c in rec.checkpoints][2:] == [Status.ABSENT, Status.ABSENT]
    assert all(c.rule == "ATT-6" for c in rec.checkpoints[2:])
    strict = Policy.model_validate({**WENSHANG.model_dump(), "missing_counts_absent": True})
    rec = one_day(strict, day, punches("s1", day, "08:00", "14:00", "18:00"))
    assert rec.by_name("AM_OUT").status is Status.ABSENT


def test_roster_member_without_punches_is_absent_every_half_day():
    records = judge(
        WENSHANG, punches=[], start=date(2025, 6, 3), end=date(2025, 6, 3), roster=["s9"]
    )
    assert [c.status for c in records[0].checkpoints] == [Status.ABSENT] * 4


def test_leave_covers_checkpoints_it_spans():
    # rule ATT-5: approved sick leave for the afternoon
    day = "2025-06-03"
    leave = LeaveFact("s1", at(day, "13:00"), at(day, "18:00"), "sick")
    rec = one_day(WENSHANG, day, punches("s1", day, "08:00", "12:00"), leaves=[leave])
    assert statuses(rec) == [
        ("AM_IN", "ok", 0),
        ("AM_OUT", "ok", 0),
        ("PM_IN", "leave", 0),
        ("PM_OUT", "leave", 0),
    ]
    assert rec.by_name("PM_OUT").leave_kind == "sick"
    # leave over several days, given in UTC
    leave = LeaveFact(
        "s1",
        at("2025-06-02", "00:00").astimezone(UTC),
        at("2025-06-04", "23:59").astimezone(UTC),
        "annual",
    )
    records = judge(
        WENSHANG,
        punches=[],
        leaves=[leave],
        start=date(2025, 6, 3),
        end=date(2025, 6, 5),
        roster=["s1"],
    )
    assert [r.by_name("AM_IN").status for r in records] == [
        Status.LEAVE,
        Status.LEAVE,
        Status.ABSENT,
    ]


def test_correction_counts_as_punch_and_shows_corrected():
    # rule ATT-6: an approved 补卡 counts as the punch and earns its own status
    day = "2025-06-03"
    facts = punches("s1", day, "12:00", "14:00", "18:00")
    fix = CorrectionFact("s1", at(day, "08:25"), "terminal down", "chief")
    rec = one_day(WENSHANG, day, facts, corrections=[fix])
    assert rec.by_name("AM_IN").status is Status.OK and rec.by_name("AM_IN").corrected
    late_fix = CorrectionFact("s1", at(day, "08:40"), "forgot", "chief")
    rec = one_day(WENSHANG, day, facts, corrections=[late_fix])
    assert (rec.by_name("AM_IN").status, rec.by_name("AM_IN").minutes) == (Status.LATE, 10)
    named = CorrectionFact("s1", at(day, "12:00"), "forgot", "chief", checkpoint="AM_OUT")
    rec = one_day(WENSHANG, day, punches("s1", day, "08:00", "14:00", "18:00"), corrections=[named])
    assert rec.by_name("AM_OUT").corrected and rec.by_name("AM_OUT").status is Status.OK


def test_time_zone_decides_the_day():
    # a punch written in UTC is judged on the hall's local day
    utc_punch = PunchFact("s1", at("2025-06-03", "08:10").astimezone(UTC))
    rec = one_day(WENSHANG, "2025-06-03", [utc_punch])
    assert rec.by_name("AM_IN").status is Status.OK
    # 23:30 UTC on 2 June is 07:30 on 3 June in Shanghai
    early = PunchFact("s1", at("2025-06-03", "07:30").astimezone(UTC))
    assert early.at.date() == date(2025, 6, 2)
    assert one_day(WENSHANG, "2025-06-03", [early]).by_name("AM_IN").status is Status.OK


def test_naive_times_are_refused():
    from datetime import datetime

    with pytest.raises(ValueError, match="UTC offset"):
        PunchFact("s1", datetime(2025, 6, 3, 8, 0))


def test_judge_day_matches_full_judge():
    day = "2025-06-03"
    facts = punches("s1", day, "08:40", "12:00", "14:00") + punches("s2", day, "08:00")
    j = Judge(WENSHANG)
    full = j.judge(punches=facts, start=date(2025, 6, 3), end=date(2025, 6, 3))
    single = j.judge_day("s1", date(2025, 6, 3), punches=facts)
    assert single == full[0]
    assert j.judge_day("s1", date(2025, 6, 7), punches=facts) is None  # Saturday
