"""The pure compliance engine: each kind of away period gives exactly the rule's violations."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from hub.compliance.engine import (
    CompliancePolicy,
    Cover,
    Demand,
    Mark,
    SeatDay,
    WindowDay,
    evaluate,
)
from hub.compliance.schedule import WorkSchedule, schedule_from_policy

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 6, 10)  # a summer Wednesday, a national workday
SCHEDULE = WorkSchedule()
WORKING = SCHEDULE.working(DAY)
EVENING = datetime.combine(DAY, time(23, 0), TZ)


def at(hhmm: str) -> datetime:
    """Hall-local time of DAY; `HH:MM` or `HH:MM:SS`."""
    return datetime.combine(DAY, time.fromisoformat(hhmm), TZ)


def leave(out: str, back: str | None, *, sign: bool = True, arrive: str = "08:20") -> list[Mark]:
    """A seat's marks: arrives, leaves at `out` (sign placed), returns at `back` (sign taken)."""
    marks = [Mark(at(arrive), "presence", True)]
    if sign:
        marks.append(Mark(at(out), "sign", True))
    marks.append(Mark(at(out), "presence", False))
    if back is not None:
        marks.append(Mark(at(back), "presence", True))
        if sign:
            marks.append(Mark(at(back), "sign", False))
    return marks


def one(marks: list[Mark], **kw: object) -> WindowDay:
    """A one-seat window (w04) with staff s04."""
    return WindowDay("w04", [SeatDay("w04-a", "s04", "A", marks)], **kw)  # type: ignore[arg-type]


def rules(result: object) -> list[str]:
    return sorted(v.rule for v in result.violations)  # type: ignore[attr-defined]


def test_eight_minutes_with_the_sign_is_within_the_rules() -> None:
    # rule POST-1: at most 10 minutes; rule POST-2: the sign was out
    r = evaluate(one(leave("10:00", "10:08")), working=WORKING, now=EVENING)
    assert rules(r) == [] and r.notices == []
    assert len(r.away) == 1 and r.away[0].in_hours_s == 480 and r.away[0].unsigned_s == 0


def test_twelve_minutes_with_the_sign_is_post_1() -> None:
    # rule POST-1
    r = evaluate(one(leave("10:00", "10:12")), working=WORKING, now=EVENING)
    assert rules(r) == ["POST-1"]
    v = r.violations[0]
    assert (v.seat, v.staff_id, v.start, v.end) == ("w04-a", "s04", at("10:00"), at("10:12"))
    kinds = {(m.kind, m.on, m.at) for m in v.evidence}
    assert ("sign", True, at("10:00")) in kinds and ("presence", True, at("10:12")) in kinds
    assert ("presence", True, at("08:20")) not in kinds  # the slice, not the whole day


def test_three_minutes_without_the_sign_is_post_2() -> None:
    # rule POST-2
    r = evaluate(one(leave("10:00", "10:03", sign=False)), working=WORKING, now=EVENING)
    assert rules(r) == ["POST-2"]
    assert "without the away sign" in r.violations[0].detail


def test_away_without_sign_within_the_grace_is_none() -> None:
    # rule POST-2: grace (a policy setting)
    r = evaluate(one(leave("10:00", "10:00:50", sign=False)), working=WORKING, now=EVENING)
    assert rules(r) == []
    strict = CompliancePolicy(sign_grace_s=30)
    r = evaluate(
        one(leave("10:00", "10:00:50", sign=False)), working=WORKING, now=EVENING, policy=strict
    )
    assert rules(r) == ["POST-2"]


def test_twelve_minutes_without_the_sign_is_post_1_and_post_2() -> None:
    # rule POST-1, rule POST-2
    r = evaluate(one(leave("10:00", "10:12", sign=False)), working=WORKING, now=EVENING)
    assert rules(r) == ["POST-1", "POST-2"]


def test_two_of_one_window_away_at_once_is_post_5() -> None:
    # rule POST-5
    a = SeatDay("w01-a", "s01a", "A", leave("10:00", "10:06"))
    b = SeatDay("w01-b", "s01b", "B", leave("10:02", "10:07"))
    r = evaluate(WindowDay("w01", [a, b]), working=WORKING, now=EVENING)
    assert rules(r) == ["POST-5", "POST-5"]
    assert {v.staff_id for v in r.violations} == {"s01a", "s01b"}
    assert {(v.start, v.end) for v in r.violations} == {(at("10:02"), at("10:06"))}


def test_two_away_only_briefly_together_is_none() -> None:
    # rule POST-5: grace for the moment of a handover
    a = SeatDay("w01-a", "s01a", "A", leave("10:00", "10:06"))
    b = SeatDay("w01-b", "s01b", "B", leave("10:05:30", "10:09"))
    r = evaluate(WindowDay("w01", [a, b]), working=WORKING, now=EVENING)
    assert rules(r) == []


def test_one_person_window_away_while_a_ticket_is_called_is_a_post_4_notice() -> None:
    # rule POST-4, rule POST-3
    demands = [
        Demand("w04", at("10:03"), "called", "B007"),
        Demand("w04", at("10:04")),
        Demand("w03", at("10:03")),
    ]
    r = evaluate(one(leave("10:00", "10:06")), working=WORKING, now=EVENING, demands=demands)
    assert rules(r) == []
    assert [(n.rule, n.window, n.staff_id, n.at, n.ticket) for n in r.notices] == [
        ("POST-4", "w04", "s04", at("10:03"), "B007")
    ]


def test_two_person_window_gets_no_post_4_notice() -> None:
    # rule POST-4 applies to one-person windows only
    a = SeatDay("w01-a", "s01a", "A", leave("10:00", "10:06"))
    b = SeatDay("w01-b", "s01b", "B", [Mark(at("08:10"), "presence", True)])
    r = evaluate(
        WindowDay("w01", [a, b]), working=WORKING, now=EVENING, demands=[Demand("w01", at("10:02"))]
    )
    assert r.notices == [] and rules(r) == []


def cover(**kw: object) -> Cover:
    base: dict[str, object] = {
        "seat": "w04-a",
        "start": at("09:55"),
        "end": at("11:30"),
        "staff_id": "s04",
        "cover_staff_id": "s99",
        "approved_at": at("09:40"),
        "approver_role": "duty_chief",
    }
    base.update(kw)
    return Cover(**base)  # type: ignore[arg-type]


def test_ninety_minutes_with_an_approved_cover_is_none() -> None:
    # rule POST-6
    r = evaluate(one(leave("10:00", "11:30")), working=WORKING, now=EVENING, covers=[cover()])
    assert rules(r) == [] and r.away[0].covered


def test_ninety_minutes_without_cover_is_post_6() -> None:
    # rule POST-6
    r = evaluate(one(leave("10:00", "11:30")), working=WORKING, now=EVENING)
    assert rules(r) == ["POST-6"] and "no approved cover" in r.violations[0].detail


@pytest.mark.parametrize(
    ("kw", "why"),
    [
        ({"approved_at": at("10:05")}, "approved only after"),
        ({"approved_at": None}, "not approved"),
        ({"end": at("12:30")}, "at most 120 min"),  # 2 h 35 min signed by the duty chief
        ({"end": at("11:00")}, "outside the approved cover"),
    ],
)
def test_an_unfit_cover_is_post_6(kw: dict[str, object], why: str) -> None:
    # rule POST-6: approved before it starts; the duty chief signs at most 2 hours
    r = evaluate(one(leave("10:00", "11:30")), working=WORKING, now=EVENING, covers=[cover(**kw)])
    assert rules(r) == ["POST-6"] and why in r.violations[0].detail


def test_department_head_may_approve_longer_than_two_hours() -> None:
    # rule POST-6
    c = cover(end=at("12:30"), approver_role="head")
    r = evaluate(one(leave("10:00", "11:30")), working=WORKING, now=EVENING, covers=[c])
    assert rules(r) == []


def test_after_closing_while_serving_is_on_post() -> None:
    # rule ATT-11: extended service counts as on post; leaving after it is no violation
    marks = [Mark(at("08:20"), "presence", True), Mark(at("18:40"), "presence", False)]
    r = evaluate(one(marks, extended_until=at("18:40")), working=WORKING, now=EVENING)
    assert rules(r) == [] and r.away == []
    assert r.extended_s["w04-a"] == 40 * 60
    assert r.on_post_s["w04-a"] == 7.5 * 3600


def test_a_leave_across_lunch_counts_only_working_minutes() -> None:
    # rule POST-1: 11:55-14:05 is 10 minutes of working time
    r = evaluate(one(leave("11:55", "14:05")), working=WORKING, now=EVENING)
    assert rules(r) == [] and r.away[0].in_hours_s == 600


def test_a_radar_fault_is_never_an_absence() -> None:
    # rule DEV-4: a silent radar is a fault, not an away period
    marks = [
        Mark(at("08:20"), "presence", True),
        Mark(at("10:00"), "fault", True),
        Mark(at("10:00"), "presence", False),
        Mark(at("10:40"), "fault", False),
        Mark(at("10:40"), "presence", True),
    ]
    r = evaluate(one(marks), working=WORKING, now=EVENING)
    assert r.away == [] and rules(r) == []


def test_a_seat_without_radar_falls_back_to_the_sign() -> None:
    # rule POST-1
    marks = [Mark(at("10:00"), "sign", True), Mark(at("10:15"), "sign", False)]
    r = evaluate(one(marks), working=WORKING, now=EVENING)
    assert rules(r) == ["POST-1"]


def test_a_still_open_leave_is_judged_up_to_now() -> None:
    # rule POST-1, rule POST-2
    r = evaluate(one(leave("10:00", None, sign=False)), working=WORKING, now=at("10:20"))
    assert rules(r) == ["POST-1", "POST-2"]
    assert all(v.end is None for v in r.violations) and r.away[0].end is None


def test_a_b_handover_is_logged() -> None:
    # rule POST-7
    a = SeatDay("w01-a", "s01a", "A", leave("10:00", "10:05"))
    b = SeatDay("w01-b", "s01b", "B", [Mark(at("08:10"), "presence", True)])
    r = evaluate(WindowDay("w01", [a, b]), working=WORKING, now=EVENING)
    assert [(h.from_staff, h.to_staff, h.at) for h in r.handovers] == [
        ("s01a", "s01b", at("10:00")),
        ("s01b", "s01a", at("10:05")),
    ]


def test_before_first_arrival_is_not_an_away_period() -> None:
    # rule ATT-1: a late arrival is attendance's matter, not an away period
    r = evaluate(one([Mark(at("09:30"), "presence", True)]), working=WORKING, now=EVENING)
    assert r.away == [] and rules(r) == []


def test_same_facts_same_result() -> None:
    marks = leave("10:00", "10:12", sign=False)
    r1 = evaluate(one(marks), working=WORKING, now=EVENING)
    r2 = evaluate(one(list(reversed(marks))), working=WORKING, now=EVENING)
    assert r1.violations == r2.violations


def test_schedule_defaults_and_non_workdays() -> None:
    assert [(w.start.time(), w.end.time()) for w in WORKING] == [
        (time(8, 30), time(12, 0)),
        (time(14, 0), time(18, 0)),
    ]
    winter = SCHEDULE.working(date(2026, 11, 4))
    assert [w.end.time() for w in winter] == [time(12, 0), time(17, 30)]
    assert SCHEDULE.working(date(2026, 6, 14)) == []  # a Sunday
    assert SCHEDULE.working(date(2026, 10, 1)) == []  # National Day


def test_schedule_from_the_attendance_policy() -> None:
    policy_mod = pytest.importorskip("hub.attendance.policy")
    schedule = schedule_from_policy(policy_mod.load_policy("wenshang-2021"))
    assert schedule.working(DAY) == WORKING


def test_no_handover_to_a_b_post_that_is_not_there() -> None:
    # rule POST-7: B takes over only when B is on post
    a = SeatDay("w01-a", "s01a", "A", leave("10:00", "10:05"))
    b = SeatDay("w01-b", "s01b", "B", [Mark(at("10:30"), "presence", True)])
    r = evaluate(WindowDay("w01", [a, b]), working=WORKING, now=EVENING)
    assert r.handovers == []


def test_duty_check_times_fall_in_working_hours() -> None:
    # rule POST-8: two random checks a day, in working hours, one per half-day
    import random

    from hub.compliance.checks import plan_times

    for seed in range(50):
        picks = plan_times(WORKING, random.Random(seed))
        assert len(picks) == 2 and picks[0] < picks[1]
        assert WORKING[0].start <= picks[0] < WORKING[0].end
        assert WORKING[1].start <= picks[1] < WORKING[1].end
    assert plan_times([], random.Random(1)) == []


def test_back_late_from_lunch_is_not_an_away_period() -> None:
    # rule ATT-2: a late return after the lunch break is attendance's matter, not POST-2
    r = evaluate(one(leave("12:00", "14:05", sign=False)), working=WORKING, now=EVENING)
    assert r.away == [] and rules(r) == []
    r = evaluate(one(leave("11:50", "14:05", sign=False)), working=WORKING, now=EVENING)
    assert rules(r) == ["POST-1", "POST-2"] and r.away[0].in_hours_s == 15 * 60
