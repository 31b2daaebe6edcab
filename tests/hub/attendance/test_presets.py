"""Each preset line by line against RULES.md, and every judging case of RULES.md in both paths.

Point 5 of issue 15: every number of a preset is checked against the rule that states it (a
preset gaining a number no rule here names fails the test); then the cases of "How a punch is
judged" and ATT-2/3/4/5/6/10/11 are judged per preset by the per-day path and the vectorised
path, which must agree.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from hub.attendance.engine import CorrectionFact, Employment, Judge, LeaveFact, PunchFact
from hub.attendance.policy import Policy, load_policy
from tests.hub.attendance.helpers import at

# -- the numbers ------------------------------------------------------------------------------
COMMON = {  # "How a punch is judged": the defaults every preset starts from
    "timezone": ("Asia/Shanghai", "BRIEF: the hall's zone decides the day"),
    "dedup_s": (60, "How a punch is judged: dedup_s default 60"),
    "open_before": (120, "How a punch is judged: open_before default 120"),
    "close_after": (240, "ATT-11: close_after default 240"),
    "min_stay": (30, "How a punch is judged: min_stay default 30"),
    "missing_counts_absent": (False, "ATT-6: one missing punch is 缺卡, both are 旷工"),
    "season.summer_start": ("05-01", "ATT-2: summer time 1 May"),
    "season.winter_start": ("10-01", "ATT-2: winter time 1 October"),
    "filing.correction_days": (2, "ATT-6: a correction is filed within 2 days (003)"),
    "filing.correction_in_working_days": (False, "ATT-6: 2天内, calendar days (003)"),
    "filing.leave_max_days": (180, "ATT-5: leave up to the policy's maximum (18.5)"),
    "filing.leave_back_days": (31, "ATT-5: leave dates within the policy's range (18.5)"),
    "filing.leave_ahead_days": (366, "ATT-5: leave dates within the policy's range (18.5)"),
    "calendar.extra_workdays": ([], "ATT-10: the national calendar, no hall days"),
    "calendar.extra_holidays": ([], "ATT-10: the national calendar, no hall days"),
}
FOUR = ["AM_IN", "AM_OUT", "PM_IN", "PM_OUT"]  # rule ATT-1: four punches a workday


def checkpoints(summer: list[str], winter: list[str], opens: list[int | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, name in enumerate(FOUR):
        out[f"checkpoints.{i}.name"] = (
            name,
            "ATT-1: 上午到岗, 上午服务停止, 下午到岗, 下午服务停止",
        )
        out[f"checkpoints.{i}.kind"] = (("arrive", "leave")[i % 2], "ATT-1: arrive, then stop")
        out[f"checkpoints.{i}.half"] = (("AM", "PM")[i // 2], "ATT-6: the half-day")
        out[f"checkpoints.{i}.summer"] = (summer[i], "summer target")
        out[f"checkpoints.{i}.winter"] = (winter[i], "winter target")
        out[f"checkpoints.{i}.opens_before"] = (opens[i], "ATT-4: the window opens later")
    return out


EXPECTED: dict[str, dict[str, tuple[Any, str]]] = {
    "wenshang-2021": {
        **COMMON,
        "name": ("wenshang-2021", "ATT-2 preset"),
        "late_grace": (0, "ATT-2: 不得晚于 8:30 — no grace"),
        "early_grace": (0, "ATT-2: 不得早于 12:00 — no grace"),
        "absent_from_post": (True, "ATT-3 default: 脱岗 past absent_after"),
        "absent_after": (60, "ATT-3 default: more than one hour"),
        "penalties": (None, "ATT-9: optional; seed 002 sets no sums"),
        **{
            k: (v[0], "ATT-2: " + v[1])
            for k, v in checkpoints(
                ["08:30", "12:00", "14:00", "18:00"],
                ["08:30", "12:00", "13:30", "17:30"],
                [None] * 4,
            ).items()
        },
    },
    "hall-2015": {
        **COMMON,
        "name": ("hall-2015", "ATT-3 preset"),
        "late_grace": (15, "ATT-3: more than 15 minutes after start is late"),
        "early_grace": (15, "ATT-3: more than 15 minutes before the end is early"),
        "absent_from_post": (True, "ATT-3: more than one hour is 脱岗"),
        "absent_after": (60, "ATT-3: more than one hour"),
        "penalties": (None, "ATT-9: optional; seed 000 sets no sums"),
        **{
            k: (v[0], "ATT-3: " + v[1])
            for k, v in checkpoints(
                ["08:00", "12:00", "15:00", "18:00"],
                ["08:00", "12:00", "14:00", "18:00"],
                [None] * 4,
            ).items()
        },
    },
    "clinic-4x": {
        **COMMON,
        "name": ("clinic-4x", "ATT-4 preset"),
        "late_grace": (0, "ATT-4: 早8点 — no grace"),
        "early_grace": (0, "ATT-4: no grace"),
        "absent_from_post": (False, "ATT-3 is not in seed 003: no 脱岗"),
        "absent_after": (60, "unused while absent_from_post is false"),
        "penalties.late_or_early_yuan": (10, "ATT-9: 迟到,早退一次扣款10元"),
        "penalties.absent_days_pay": (True, "ATT-9: 先扣除当日工资"),
        "penalties.absent_extra_yuan": (50, "ATT-9: 再加扣50元"),
        "penalties.early_punch_yuan": (10, "ATT-4: 否则按相关规定处罚 — the 迟到/早退 rate"),
        "penalties.monthly_late.count": (6, "ATT-9: 迟到累计达6次"),
        "penalties.monthly_late.compare": ("reaching", "ATT-9: 达 = reaching"),
        "penalties.monthly_forgotten.count": (6, "ATT-9: 忘记签到超过6次"),
        "penalties.monthly_forgotten.compare": ("exceeding", "ATT-9: 超过 = exceeding"),
        "penalties.monthly_limit_yuan": (500, "ATT-9: 予以扣款500元"),
        **{
            k: (v[0], "ATT-4: " + v[1])
            for k, v in checkpoints(
                ["08:00", "11:00", "13:00", "16:00"],
                ["08:00", "11:00", "13:00", "16:00"],
                [None, None, 10, None],
            ).items()
        },
    },
}


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    if isinstance(value, list) and value and isinstance(value[0], dict):
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}{i}."))
        return out
    return {prefix[:-1]: value}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_number_of_the_preset_is_the_rules(name: str) -> None:
    got = flatten(load_policy(name).model_dump(mode="json"))
    got.pop("description")
    want = EXPECTED[name]
    unchecked = sorted(set(got) - set(want))
    assert not unchecked, f"{name}: numbers no rule of this test names: {unchecked}"
    wrong = {k: (got.get(k), v, why) for k, (v, why) in want.items() if got.get(k) != v}
    assert not wrong, wrong


# -- the cases --------------------------------------------------------------------------------
SUMMER, WINTER = "2025-06-03", "2025-11-04"  # Tuesdays
Case = tuple[str, str, list[str], list[str]]  # rule, day, punches "HH:MM[:SS]", verdicts

CASES: dict[str, list[Case]] = {
    "wenshang-2021": [
        ("ATT-2 on time", SUMMER, ["08:29", "12:00", "13:59", "18:01"], ["ok"] * 4),
        ("ATT-2 whole minutes", SUMMER, ["08:30:59", "12:00", "14:00", "18:00"], ["ok"] * 4),
        (
            "ATT-2 late",
            SUMMER,
            ["08:31", "12:00", "14:12", "18:00"],
            ["late 1", "ok", "late 12", "ok"],
        ),
        (
            "ATT-2 early",
            SUMMER,
            ["08:30", "11:59:30", "14:00", "17:45"],
            ["ok", "early 1", "ok", "early 15"],
        ),
        (
            "ATT-2 winter",
            WINTER,
            ["08:30", "12:00", "13:31", "17:29"],
            ["ok", "ok", "late 1", "early 1"],
        ),
        (
            "ATT-2 winter 14:00",
            WINTER,
            ["08:30", "12:00", "14:00", "17:30"],
            ["ok", "ok", "late 30", "ok"],
        ),
        (
            "ATT-3 one hour late",
            SUMMER,
            ["09:30", "12:00", "14:00", "18:00"],
            ["late 60", "ok", "ok", "ok"],
        ),
        (
            "ATT-3 脱岗",
            SUMMER,
            ["09:31", "12:00", "14:00", "18:00"],
            ["absent_from_post 61", "ok", "ok", "ok"],
        ),
        (
            "ATT-3 pair: 10:40 late",
            SUMMER,
            ["10:40", "12:00", "14:00", "18:00"],
            ["absent_from_post 130", "ok", "ok", "ok"],
        ),
        (
            "ATT-3 pair: leave 10:00",
            SUMMER,
            ["08:30", "10:00", "14:00", "18:00"],
            ["ok", "absent_from_post 120", "ok", "ok"],
        ),
        (
            "pair: both in AM_OUT window",
            SUMMER,
            ["10:30", "12:00", "14:00", "18:00"],
            ["absent_from_post 120", "ok", "ok", "ok"],
        ),
        (
            "pair: closer than min_stay",
            SUMMER,
            ["10:20", "10:45", "14:00", "18:00"],
            ["missing", "absent_from_post 75", "ok", "ok"],
        ),
        (
            "windows: lone punches",
            SUMMER,
            ["10:14", "16:00"],
            ["absent_from_post 104", "missing", "missing", "absent_from_post 120"],
        ),
        (
            "ATT-3 pair: late past the midpoint, early before the stop",
            SUMMER,
            ["10:40", "11:20", "14:00", "18:00"],
            ["absent_from_post 130", "early 40", "ok", "ok"],
        ),
        (
            "ATT-3 pair: PM two hours late",
            SUMMER,
            ["08:30", "12:00", "16:10", "18:00"],
            ["ok", "ok", "absent_from_post 130", "ok"],
        ),
        (
            "ATT-3 pair: PM leave before the midpoint",
            SUMMER,
            ["08:30", "12:00", "14:00", "15:30"],
            ["ok", "ok", "ok", "absent_from_post 150"],
        ),
        ("ATT-6 缺卡", SUMMER, ["08:30", "14:00", "18:00"], ["ok", "missing", "ok", "ok"]),
        ("ATT-6 旷工 half-day", SUMMER, ["14:00", "18:00"], ["absent", "absent", "ok", "ok"]),
        ("ATT-6 旷工 day", SUMMER, [], ["absent"] * 4),
        ("ATT-11 late stop", SUMMER, ["08:30", "12:40", "14:00", "21:59"], ["ok"] * 4),
        (
            "open_before / close_after",
            SUMMER,
            ["06:29", "06:30:30", "12:00", "14:00", "22:00"],
            ["ok", "ok", "ok", "missing"],
        ),
        (
            "dedup_s",
            SUMMER,
            ["08:30", "12:00", "14:00", "17:59:30", "18:00:20"],
            ["ok", "ok", "ok", "early 1"],
        ),
        ("ATT-10 调休 Sunday", "2025-09-28", ["08:30", "12:00", "14:00", "18:00"], ["ok"] * 4),
    ],
    "hall-2015": [
        ("ATT-3 within grace", SUMMER, ["08:15", "11:45", "15:15", "17:45"], ["ok"] * 4),
        (
            "ATT-3 迟到/早退",
            SUMMER,
            ["08:16", "11:44", "15:16", "17:44"],
            ["late 16", "early 16", "late 16", "early 16"],
        ),
        ("ATT-3 summer afternoon 15:00", SUMMER, ["08:00", "12:00", "14:59", "18:00"], ["ok"] * 4),
        (
            "ATT-3 winter afternoon 14:00",
            WINTER,
            ["08:00", "12:00", "14:16", "18:00"],
            ["ok", "ok", "late 16", "ok"],
        ),
        (
            "ATT-3 one hour",
            SUMMER,
            ["09:00", "11:00", "15:00", "18:00"],
            ["late 60", "early 60", "ok", "ok"],
        ),
        (
            "ATT-3 脱岗",
            SUMMER,
            ["09:01", "10:59", "15:00", "16:59"],
            ["absent_from_post 61", "absent_from_post 61", "ok", "absent_from_post 61"],
        ),
        (
            "ATT-3 pair: two hours late",
            SUMMER,
            ["10:05", "12:00", "15:00", "18:00"],
            ["absent_from_post 125", "ok", "ok", "ok"],
        ),
        (
            "pair: closer than min_stay",
            SUMMER,
            ["09:50", "10:10", "15:00", "18:00"],
            ["absent_from_post 110", "missing", "ok", "ok"],
        ),
        (
            "ATT-3 pair: late past the midpoint, early before the stop",
            SUMMER,
            ["10:05", "11:30", "15:00", "18:00"],
            ["absent_from_post 125", "early 30", "ok", "ok"],
        ),
        (
            "ATT-3 pair: PM two hours late",
            SUMMER,
            ["08:00", "12:00", "17:05", "18:00"],
            ["ok", "ok", "absent_from_post 125", "ok"],
        ),
        (
            "ATT-3 pair: PM leave before the midpoint",
            SUMMER,
            ["08:00", "12:00", "15:00", "16:00"],
            ["ok", "ok", "ok", "absent_from_post 120"],
        ),
        ("ATT-6 缺卡", SUMMER, ["08:00", "12:00", "15:00"], ["ok", "ok", "ok", "missing"]),
        ("ATT-6 旷工 half-day", SUMMER, ["08:00", "12:00"], ["ok", "ok", "absent", "absent"]),
        ("ATT-11 late stop", SUMMER, ["08:00", "12:00", "15:00", "20:30"], ["ok"] * 4),
        ("ATT-10 调休 Saturday", "2025-10-11", ["08:00", "12:00", "14:00", "18:00"], ["ok"] * 4),
    ],
    "clinic-4x": [
        ("ATT-4 on time", SUMMER, ["08:00", "11:00", "12:55", "16:00"], ["ok"] * 4),
        ("ATT-4 sign-in from 12:50", SUMMER, ["08:00", "11:00", "12:50", "16:00"], ["ok"] * 4),
        (
            "ATT-4 gap 12:45 judges nothing",
            SUMMER,
            ["07:55", "11:00", "12:45", "16:00"],
            ["ok", "ok", "missing", "ok"],
        ),
        (
            "ATT-4 gap then sign-in",
            SUMMER,
            ["08:00", "11:00", "12:45", "12:51", "16:00"],
            ["ok", "ok", "ok", "ok"],
        ),
        (
            "ATT-2 late / early",
            SUMMER,
            ["08:01", "10:58", "13:01", "15:59"],
            ["late 1", "early 2", "late 1", "early 1"],
        ),
        (
            "ATT-3 not in 003: late",
            SUMMER,
            ["09:31", "11:00", "13:00", "16:00"],
            ["late 91", "ok", "ok", "ok"],
        ),
        (
            "pair: two hours late",
            SUMMER,
            ["10:00", "11:00", "13:00", "16:00"],
            ["late 120", "ok", "ok", "ok"],
        ),
        (
            "pair: closer than min_stay",
            SUMMER,
            ["10:40", "11:00", "13:00", "16:00"],
            ["missing", "ok", "ok", "ok"],
        ),
        (
            "pair: early leave",
            SUMMER,
            ["08:00", "09:00", "13:00", "16:00"],
            ["ok", "early 120", "ok", "ok"],
        ),
        (
            "pair: late past the midpoint, early before the stop",
            SUMMER,
            ["09:40", "10:20", "13:00", "16:00"],
            ["late 100", "early 40", "ok", "ok"],
        ),
        (
            "pair: PM two hours late",
            SUMMER,
            ["08:00", "11:00", "15:00", "16:00"],
            ["ok", "ok", "late 120", "ok"],
        ),
        (
            "pair: PM leave before the midpoint",
            SUMMER,
            ["08:00", "11:00", "13:00", "14:00"],
            ["ok", "ok", "ok", "early 120"],
        ),
        ("ATT-6 缺卡", SUMMER, ["08:00", "11:00", "12:51"], ["ok", "ok", "ok", "missing"]),
        ("ATT-6 旷工 half-day", SUMMER, ["13:00", "16:00"], ["absent", "absent", "ok", "ok"]),
        ("ATT-11 late stop", SUMMER, ["08:00", "11:00", "13:00", "19:59"], ["ok"] * 4),
        ("ATT-10 Dragon Boat holiday", "2025-06-02", ["08:00"], []),
    ],
}
EARLY_PUNCH = {
    ("clinic-4x", "ATT-4 gap 12:45 judges nothing"),
    ("clinic-4x", "ATT-4 gap then sign-in"),
}


def both(policy: Policy) -> tuple[Judge, Judge]:
    return Judge(policy, fast_min=0), Judge(policy, fast_min=None)


def verdicts(records: list[Any]) -> list[str]:
    return [
        f"{c.status.value} {c.minutes}" if c.minutes else c.status.value
        for r in records
        for c in r.checkpoints
    ]


def cases() -> list[Any]:
    return [
        pytest.param(name, *case, id=f"{name}: {case[0]}")
        for name, rows in CASES.items()
        for case in rows
    ]


@pytest.mark.parametrize(("name", "rule", "day", "times", "want"), cases())
def test_case_in_both_paths(name: str, rule: str, day: str, times: list[str], want: list[str]):
    fast, each = both(load_policy(name))
    d = date.fromisoformat(day)
    facts = [PunchFact("s1", at(day, t)) for t in times]
    facts += [PunchFact("z", at(day, "08:00"))]  # a second person, so the vectorised path runs
    got = fast.judge(punches=facts, start=d, end=d, roster=["s1"])
    assert got == each.judge(punches=facts, start=d, end=d, roster=["s1"])
    mine = [r for r in got if r.staff_id == "s1"]
    assert verdicts(mine) == want, rule
    if mine:
        early = [c.checkpoint for c in mine[0].checkpoints if c.early_punch]
        assert early == (["PM_IN"] if (name, rule) in EARLY_PUNCH else [])


@pytest.mark.parametrize("name", sorted(CASES))
def test_leave_correction_clock_and_dates_in_both_paths(name: str) -> None:
    # rules ATT-5 (leave wins), ATT-6 (a correction is the punch), 未到, start and leave dates
    policy = load_policy(name)
    fast, each = both(policy)
    d = date.fromisoformat(SUMMER)
    arrive = policy.checkpoints[0].target(True).strftime("%H:%M")
    facts = [PunchFact("s1", at(SUMMER, arrive)), PunchFact("s2", at(SUMMER, arrive))]
    leave = LeaveFact("s3", at(SUMMER, "12:30"), at(SUMMER, "23:00"), "sick", "leave 1")
    stop = policy.checkpoints[3].target(True).strftime("%H:%M")
    fix = CorrectionFact("s1", at(SUMMER, stop), "terminal down", "office", "PM_OUT", "fix 1")
    kw: dict[str, Any] = {"punches": facts, "start": d, "end": d + timedelta(days=1)}
    kw.update(roster=["s1", "s2", "s3", "s4"], leaves=[leave], corrections=[fix])
    kw["employment"] = {"s4": Employment(start=d + timedelta(days=1))}
    now = at(SUMMER, "10:00")
    got = fast.judge(**kw, now=now)
    assert got == each.judge(**kw, now=now)
    by = {r.staff_id: verdicts([r]) for r in got}
    assert set(by) == {"s1", "s2", "s3"}  # no 4 June yet; s4 starts on the 4th
    assert by["s2"] == ["ok", "not_due", "not_due", "not_due"]  # 未到, never absent
    assert by["s3"][:2] == ["not_due", "not_due"] and by["s3"][2:] == ["leave", "leave"]
    assert by["s1"] == ["ok", "not_due", "not_due", "ok"]  # the correction is the stop punch
    assert [c.corrected for r in got if r.staff_id == "s1" for c in r.checkpoints][3]
    later = fast.judge(**kw, now=at("2025-06-05", "09:00"))
    assert later == each.judge(**kw, now=at("2025-06-05", "09:00"))
    by_day = {(r.staff_id, r.day.day): verdicts([r]) for r in later}
    assert by_day[("s2", 3)][1:] == ["missing", "absent", "absent"]  # over: judged
    assert by_day[("s4", 4)] == ["absent"] * 4 and ("s4", 3) not in by_day


def test_penalties_of_clinic_4x_as_rule_att9_states() -> None:
    # rule ATT-9: lates reaching six (达6次), forgotten sign-ins exceeding six (超过6次), once
    from hub.attendance.penalties import MonthCounts, month_penalties

    p = load_policy("clinic-4x").penalties

    def total(**kw: int) -> tuple[int, int]:
        counts = {"late": 0, "early": 0, "absent_days": 0, "early_punches": 0}
        counts["forgotten_signins"] = 0
        lines = month_penalties(p, MonthCounts(**{**counts, **kw}))
        return sum(x.yuan for x in lines), sum(x.days_pay for x in lines)

    assert total(late=5) == (50, 0)
    assert total(late=6) == (60 + 500, 0)  # reaching six
    assert total(forgotten_signins=6) == (0, 0)  # six is not more than six
    assert total(forgotten_signins=7) == (500, 0)
    assert total(late=6, forgotten_signins=7) == (60 + 500, 0)  # charged once
    assert total(early=2) == (20, 0)
    assert total(absent_days=2) == (100, 2)  # that day's pay plus 50 yuan, each
    assert total(early_punches=3) == (30, 0)  # rule ATT-4
    assert month_penalties(load_policy("wenshang-2021").penalties, MonthCounts(9, 9, 9, 9, 9)) == []
