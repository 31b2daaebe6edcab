"""The same facts in any order give the same result (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.attendance.engine import CorrectionFact, Employment, Judge, LeaveFact, PunchFact
from hub.attendance.policy import Policy, load_policy
from tests.hub.attendance.helpers import SH, at

NAMES = ("wenshang-2021", "hall-2015", "clinic-4x")
JUDGES = {name: Judge(load_policy(name)) for name in NAMES}
STRICT = Policy.model_validate(
    {**load_policy("hall-2015").model_dump(), "missing_counts_absent": True, "dedup_s": 300}
)
PAIRS = {  # (vectorised, day by day) judges of one policy
    name: (Judge(p, fast_min=0), Judge(p, fast_min=None))
    for name, p in [(n, load_policy(n)) for n in NAMES] + [("strict", STRICT)]
}
DAYS = ["2025-06-03", "2025-06-04", "2025-10-11"]  # two summer days, a winter 调休 Saturday
STAFF = ["a", "b", "c"]

minute_of_day = st.integers(min_value=5 * 60, max_value=23 * 60 + 59)
seconds = st.integers(min_value=0, max_value=59)


@st.composite
def punch(draw: st.DrawFn) -> PunchFact:
    m, s = draw(minute_of_day), draw(seconds)
    base = at(draw(st.sampled_from(DAYS)), f"{m // 60:02d}:{m % 60:02d}:{s:02d}")
    # the same instant may come written in another offset
    return PunchFact(
        draw(st.sampled_from(STAFF)), base.astimezone(draw(st.sampled_from([SH, base.tzinfo])))
    )


@st.composite
def leave(draw: st.DrawFn) -> LeaveFact:
    start = at(draw(st.sampled_from(DAYS)), f"{draw(st.integers(6, 20)):02d}:00")
    return LeaveFact(
        draw(st.sampled_from(STAFF)),
        start,
        start + timedelta(hours=draw(st.integers(1, 30))),
        draw(st.sampled_from(["sick", "personal", "annual"])),
    )


@st.composite
def correction(draw: st.DrawFn) -> CorrectionFact:
    m = draw(minute_of_day)
    return CorrectionFact(
        draw(st.sampled_from(STAFF)),
        at(draw(st.sampled_from(DAYS)), f"{m // 60:02d}:{m % 60:02d}"),
        draw(st.sampled_from(["forgot", "terminal down"])),
        "chief",
        draw(st.sampled_from([None, "AM_IN", "PM_OUT"])),
    )


@settings(max_examples=60, deadline=None)
@given(
    policy=st.sampled_from(sorted(JUDGES)),
    punches=st.lists(punch(), max_size=40),
    leaves=st.lists(leave(), max_size=3),
    fixes=st.lists(correction(), max_size=4),
    shuffle=st.randoms(use_true_random=False),
)
def test_any_order_same_result(policy, punches, leaves, fixes, shuffle):
    j = JUDGES[policy]
    start, end = date(2025, 6, 1), date(2025, 10, 12)
    first = j.judge(
        punches=punches, leaves=leaves, corrections=fixes, start=start, end=end, roster=["c"]
    )
    for _ in range(3):
        p, lv, fx = list(punches), list(leaves), list(fixes)
        shuffle.shuffle(p)
        shuffle.shuffle(lv)
        shuffle.shuffle(fx)
        again = j.judge(punches=p, leaves=lv, corrections=fx, start=start, end=end, roster=["c"])
        assert again == first
    # and a single staff-day judged alone equals its part of the whole
    for rec in first[:5]:
        alone = j.judge_day(
            rec.staff_id, rec.day, punches=punches[::-1], leaves=leaves, corrections=fixes[::-1]
        )
        assert alone == rec


@settings(max_examples=60, deadline=None)
@given(
    policy=st.sampled_from(sorted(PAIRS)),
    punches=st.lists(punch(), max_size=60),
    leaves=st.lists(leave(), max_size=2),
    fixes=st.lists(correction(), max_size=2),
    now=st.one_of(
        st.none(),
        st.tuples(st.sampled_from(DAYS), st.integers(0, 24 * 60 - 1)).map(
            lambda d: at(d[0], f"{d[1] // 60:02d}:{d[1] % 60:02d}")
        ),
    ),
    since=st.sampled_from([None, date(2025, 6, 4), date(2025, 10, 11)]),
)
def test_vectorised_path_gives_the_same_verdicts(policy, punches, leaves, fixes, now, since):
    # the same verdicts with the hall's clock (未到 today, no later day) and start dates too
    fast, each = PAIRS[policy]
    start, end = date(2025, 6, 2), date(2025, 10, 12)
    kw = {"punches": punches, "leaves": leaves, "corrections": fixes, "start": start, "end": end}
    kw.update(roster=["c", "z"], now=now, employment={"a": Employment(start=since)})
    got = fast.judge(**kw)
    assert got == each.judge(**kw)
    if now is not None:
        assert all(r.day <= now.date() for r in got)
    if since is not None:
        assert all(r.day >= since for r in got if r.staff_id == "a")


def test_vectorised_path_on_a_noisy_month():
    import random

    from hub.bench.attendance import MONTH_END, MONTH_START, make_month

    ids, facts, _judge = make_month(40)
    rng = random.Random(3)
    noisy = [p for p in facts if rng.random() > 0.05]  # some forgotten punches
    noisy += [
        PunchFact(p.staff_id, p.at + timedelta(seconds=rng.randint(1, 90)))
        for p in rng.sample(facts, 300)
    ]  # repeats, some within dedup_s
    noisy += [
        PunchFact(p.staff_id, p.at - timedelta(hours=rng.randint(1, 6)))
        for p in rng.sample(facts, 200)
    ]  # early birds and punches outside every window
    for name in ("wenshang-2021", "clinic-4x"):
        fast, each = PAIRS[name]
        got = fast.judge(punches=noisy, start=MONTH_START, end=MONTH_END, roster=ids)
        assert got == each.judge(punches=noisy, start=MONTH_START, end=MONTH_END, roster=ids)
        assert {c.status for r in got for c in r.checkpoints} >= {"ok", "late", "missing"}
