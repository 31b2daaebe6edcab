"""The hall's clock against the judge: today at several hours, a hub whose clock runs in UTC,
midnight in Shanghai, a device clock running ahead, the correction deadline in working days, and
leave across a month end and a holiday (rules ATT-2, ATT-5, ATT-6, ATT-10, ATT-11; RULES.md
"How a punch is judged"). Every judging case runs through both paths, which must agree.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from hub.attendance.checks import FieldError, check_correction, correction_deadline
from hub.attendance.engine import Judge, LeaveFact, PunchFact
from hub.attendance.policy import load_policy
from hub.attendance.reports import summarise
from hub.attendance.store import day_rows
from tests.hub.attendance.helpers import at

DAY = "2025-06-03"  # a summer Tuesday under wenshang-2021: 08:30, 12:00, 14:00, 18:00
MINE = [PunchFact("s1", at(DAY, t)) for t in ("08:31", "12:00", "14:05")]
# a settled day before, so the vectorised path has a day to judge beside today
MINE += [PunchFact("s1", at("2025-06-02", "08:30")), PunchFact("z", at("2025-05-30", "08:30"))]


def both() -> tuple[Judge, Judge]:
    policy = load_policy("wenshang-2021")
    return Judge(policy, fast_min=0), Judge(policy, fast_min=None)


def words(records: list, staff_id: str, day: str) -> list[str]:
    (rec,) = [r for r in records if r.staff_id == staff_id and r.day == date.fromisoformat(day)]
    return [
        f"{c.status.value} {c.minutes}" if c.minutes else c.status.value for c in rec.checkpoints
    ]


@pytest.fixture(params=["UTC", "Asia/Shanghai", "America/Los_Angeles"])
def process_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """The hub process's own zone: it must never decide the hall's day."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


# (Shanghai time of the hall's clock, s1's verdicts, s2's verdicts: s2 has no punch at all)
TODAY = [
    ("06:00", ["not_due"] * 4, ["not_due"] * 4),
    ("08:40", ["late 1", "not_due", "not_due", "not_due"], ["not_due"] * 4),
    ("12:30", ["late 1", "ok", "not_due", "not_due"], ["not_due"] * 4),
    ("13:00", ["late 1", "ok", "not_due", "not_due"], ["absent", "absent", "not_due", "not_due"]),
    ("14:10", ["late 1", "ok", "late 5", "not_due"], ["absent", "absent", "not_due", "not_due"]),
    # rule ATT-11: past 18:00 the stop punch may still come (extended service) until 22:00
    ("18:30", ["late 1", "ok", "late 5", "not_due"], ["absent", "absent", "not_due", "not_due"]),
    ("22:00", ["late 1", "ok", "late 5", "missing"], ["absent"] * 4),
]


@pytest.mark.parametrize(("hhmm", "mine", "none"), TODAY, ids=[t[0] for t in TODAY])
def test_today_at_several_hours_with_the_hub_clock_in_utc(
    hhmm: str, mine: list[str], none: list[str], process_zone: str
) -> None:
    # 未到: what is not yet due today is not a fault, at any hour, whatever the process's zone
    now = at(DAY, hhmm).astimezone(UTC)  # the hub reads its clock in UTC
    fast, each = both()
    kw = {"punches": MINE, "start": date(2025, 5, 26), "end": date(2025, 6, 30)}
    got = fast.judge(**kw, roster=["s1", "s2"], now=now)
    assert got == each.judge(**kw, roster=["s1", "s2"], now=now)
    assert max(r.day for r in got) == date(2025, 6, 3)  # no day not yet come
    assert words(got, "s1", DAY) == mine, process_zone
    assert words(got, "s2", DAY) == none
    one = each.judge_day("s1", date(2025, 6, 3), punches=MINE, now=now)
    assert one is not None and words([one], "s1", DAY) == mine
    assert each.judge_day("s1", date(2025, 6, 4), punches=MINE, now=now) is None


def test_the_day_turns_at_midnight_in_shanghai_not_in_utc(process_zone: str) -> None:
    fast, each = both()
    late, early = at(DAY, "23:59:59"), at("2025-06-04", "00:00:00")  # 15:59:59Z and 16:00:00Z
    facts = [PunchFact("s1", late.astimezone(UTC)), PunchFact("s1", early.astimezone(UTC))]
    facts += MINE
    kw = {"punches": facts, "start": date(2025, 6, 3), "end": date(2025, 6, 4), "roster": ["s1"]}
    before = at(DAY, "23:59:59").astimezone(UTC)  # still the 3rd in the hall: no 4 June yet
    got = fast.judge(**kw, now=before)
    assert got == each.judge(**kw, now=before)
    assert [r.day for r in got if r.staff_id == "s1"] == [date(2025, 6, 3)]
    after = at("2025-06-04", "00:00:30").astimezone(UTC)  # 16:00:30Z on the 3rd: the 4th here
    got = fast.judge(**kw, now=after)
    assert got == each.judge(**kw, now=after)
    by = {r.day: r for r in got if r.staff_id == "s1"}
    assert set(by) == {date(2025, 6, 3), date(2025, 6, 4)}
    assert by[date(2025, 6, 3)].stray == (late.astimezone(UTC),)  # outside every window
    assert by[date(2025, 6, 4)].stray == (early.astimezone(UTC),)
    assert words(got, "s1", "2025-06-04") == ["not_due"] * 4  # the new day has not begun
    assert words(got, "s1", DAY)[3] == "missing"  # the 3rd is over: no stop punch came


def test_a_device_clock_running_ahead_judges_nothing_before_its_time() -> None:
    # a punch stamped 18:00 (a terminal's clock eight hours ahead, or an import) seen at 10:00:
    # it must not stand as the stop punch, nor as a 脱岗 arrival, before 18:00 comes
    fast, each = both()
    ahead = [*MINE[:1], PunchFact("s1", at(DAY, "18:00"))]
    kw = {"punches": ahead, "start": date(2025, 5, 26), "end": date(2025, 6, 3), "roster": ["s1"]}
    now = at(DAY, "10:00")
    got = fast.judge(**kw, now=now)
    assert got == each.judge(**kw, now=now)
    assert words(got, "s1", DAY) == ["late 1", "not_due", "not_due", "not_due"]
    assert all(not r.stray for r in got)
    one = each.judge_day("s1", date(2025, 6, 3), punches=ahead, now=now)
    assert one is not None and words([one], "s1", DAY) == words(got, "s1", DAY)
    later = at(DAY, "22:30")  # its time came: now it is the stop punch, like any other
    got = fast.judge(**kw, now=later)
    assert got == each.judge(**kw, now=later)
    assert words(got, "s1", DAY) == ["late 1", "missing", "missing", "ok"]


def test_a_naive_clock_is_refused_not_read_in_the_process_zone() -> None:
    fast, _each = both()
    naive = datetime(2025, 6, 3, 10, 0)
    with pytest.raises(ValueError, match="UTC offset"):
        fast.judge(punches=MINE, start=date(2025, 6, 3), end=date(2025, 6, 3), now=naive)
    with pytest.raises(ValueError, match="UTC offset"):
        fast.judge_day("s1", date(2025, 6, 4), punches=MINE, now=naive)


# -- the correction deadline: 2 days, or working days by the hall's choice (ATT-6, ATT-10) ------
@pytest.mark.parametrize(
    ("missed", "due"),
    [("2025-06-03", "2025-06-05"), ("2025-06-06", "2025-06-08"), ("2025-09-30", "2025-10-02")],
)
def test_the_correction_deadline_is_two_calendar_days_by_default(missed: str, due: str) -> None:
    policy = load_policy("clinic-4x")  # rule ATT-6, 003: 必须在2天内报办公室核准
    assert not policy.filing.correction_in_working_days
    punch = at(missed, "08:20")
    assert correction_deadline(policy, punch) == date.fromisoformat(due)
    check_correction(policy, at(due, "17:00"), at=punch, checkpoint="AM_IN")
    with pytest.raises(FieldError) as e:
        check_correction(
            policy, at(due, "23:30") + timedelta(hours=1), at=punch, checkpoint="AM_IN"
        )
    assert e.value.key == "att.err.correction_late" and e.value.values["deadline"] == due


@pytest.mark.parametrize(
    ("missed", "due"),
    [
        ("2025-06-03", "2025-06-05"),  # Tuesday: Wednesday and Thursday
        ("2025-06-06", "2025-06-10"),  # Friday: Monday and Tuesday, not Sunday
        ("2025-05-30", "2025-06-04"),  # Friday before the Dragon Boat Monday (2 June)
        ("2025-09-30", "2025-10-10"),  # before National Day (1-8 Oct): the 9th and the 10th
        ("2025-09-26", "2025-09-29"),  # Friday; Sunday 28 Sep is a 调休 workday: 28th and 29th
    ],
)
def test_the_correction_deadline_counts_working_days(missed: str, due: str) -> None:
    base = load_policy("clinic-4x")  # 003: 必须在2天内报办公室核准; a hall counting workdays
    filing = base.filing.model_copy(update={"correction_in_working_days": True})
    policy = base.model_copy(update={"filing": filing})
    punch = at(missed, "08:20")
    assert correction_deadline(policy, punch) == date.fromisoformat(due)
    last = at(due, "17:00").astimezone(UTC)
    check_correction(policy, last, at=punch, checkpoint="AM_IN")  # the last day: in time
    with pytest.raises(FieldError) as e:  # the next morning, in UTC still the same date
        check_correction(
            policy, at(due, "23:30") + timedelta(hours=1), at=punch, checkpoint="AM_IN"
        )
    assert e.value.key == "att.err.correction_late_workdays"
    assert e.value.values["deadline"] == due


def test_a_correction_for_a_time_not_yet_come_is_refused_even_a_minute_ahead() -> None:
    policy = load_policy("wenshang-2021")
    now = at(DAY, "08:19").astimezone(UTC)
    with pytest.raises(FieldError) as e:
        check_correction(policy, now, at=at(DAY, "08:20"), checkpoint="AM_IN")
    assert e.value.key == "att.err.future"


# -- leave across a month end and a holiday (rules ATT-5, ATT-10) ------------------------------
def test_leave_across_a_month_end_and_national_day_counts_each_month_its_workdays() -> None:
    # sick leave 29 Sep - 9 Oct 2025: 28 Sep (Sunday) and 11 Oct (Saturday) are 调休 workdays,
    # 1-8 Oct the National Day holiday: September holds the 29th and 30th, October the 9th
    policy = load_policy("wenshang-2021")
    fast, each = both()
    leave = LeaveFact("s1", at("2025-09-29", "00:00"), at("2025-10-09", "23:59"), "sick", "c-1")
    worked = [
        PunchFact("s1", at(d, t))
        for d in ("2025-09-28", "2025-10-10", "2025-10-11")
        for t in (
            "08:30",
            "12:00",
            "13:30",
            "18:00",
        )
    ]
    for first, last, halves, days in (
        (date(2025, 9, 1), date(2025, 9, 30), 4, {"2025-09-28": "ok", "2025-09-29": "leave"}),
        (date(2025, 10, 1), date(2025, 10, 31), 2, {"2025-10-09": "leave", "2025-10-11": "ok"}),
    ):
        kw = {"punches": worked, "leaves": [leave], "start": first, "end": last}
        got = fast.judge(**kw, roster=["s1"])
        assert got == each.judge(**kw, roster=["s1"])
        mine = {r.day.isoformat(): r for r in got if r.staff_id == "s1"}
        for d, status in days.items():
            assert {c.status.value for c in mine[d].checkpoints} == {status}, d
        assert not any(date(2025, 10, 1) <= r.day <= date(2025, 10, 8) for r in got)
        (row,) = summarise([x for r in got for x in day_rows(r)], policy)
        assert (row.leave_half_days, row.leave_by_kind) == (halves, {"sick": halves})
