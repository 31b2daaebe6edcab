"""The attendance engine: punches, leave and corrections judged by policy, calendar and clock.

Pure: plain values in, plain values out; no I/O and no wall clock (the hall's clock is handed in
as `now`). Implements RULES.md "How a punch is judged". Who is expected on which day is one
predicate (`Expected`): by default every workday of each staff member within their start and
leaving dates; the roster (DUTY-1) hands its own. The same facts in any order give the same
records: every choice is made on sorted values.
"""

from __future__ import annotations

import gc
import heapq
import logging
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from hub.attendance.calendar import WorkCalendar
from hub.attendance.day import Punch, Trace, judge_day
from hub.attendance.facts import (
    CheckpointResult,
    CorrectionFact,
    DayRecord,
    LeaveFact,
    LeaveKind,
    PunchFact,
    Status,
    aware_or_fail,
)
from hub.attendance.plan import DayPlan, make_plan, ts
from hub.attendance.policy import Policy

logger = logging.getLogger(__name__)


__all__ = [
    "CheckpointResult",
    "CorrectionFact",
    "DayRecord",
    "Employment",
    "Expected",
    "Judge",
    "LeaveFact",
    "LeaveKind",
    "PunchFact",
    "Status",
    "judge",
]

Expected = Callable[[str, date], bool]
"""Whether a staff member is expected at work on a day (judged only then)."""


@dataclass(frozen=True, slots=True)
class Employment:
    """A staff member's first and last day with the hall; days outside are not judged."""

    start: date | None = None
    leave: date | None = None

    def covers(self, day: date) -> bool:
        """True when `day` is within the employment (both ends included)."""
        return (self.start is None or day >= self.start) and (
            self.leave is None or day <= self.leave
        )


class Judge:
    """Judges staff-days for one policy and calendar; caches each day's plan."""

    def __init__(
        self, policy: Policy, calendar: WorkCalendar | None = None, fast_min: int | None = 5000
    ) -> None:
        """Bind a policy; the calendar defaults to national days plus the policy's own.

        Periods with at least `fast_min` punches are judged vectorised (hub.attendance.fastpath,
        same verdicts); None always judges day by day.
        """
        self.policy = policy
        self.fast_min = fast_min
        self.zone = policy.zone
        self.calendar = calendar or WorkCalendar(
            policy.calendar.extra_workdays, policy.calendar.extra_holidays
        )
        self._plans: dict[date, DayPlan] = {}

    def day_plan(self, day: date) -> DayPlan:
        """The windows of `day`, workday or not (a rostered holiday duty is judged too)."""
        plan = self._plans.get(day)
        if plan is None:
            plan = self._plans[day] = make_plan(self.policy, day, self.zone)
        return plan

    def plan(self, day: date) -> DayPlan | None:
        """The day's windows, or None when `day` is not a workday (rule ATT-10)."""
        return self.day_plan(day) if self.calendar.is_workday(day) else None

    def expected(self, employment: Mapping[str, Employment] | None = None) -> Expected:
        """The default expectation: every workday (ATT-10) within each one's employment."""
        spans = employment or {}
        workday = self.calendar.is_workday

        def expect(staff_id: str, day: date) -> bool:
            span = spans.get(staff_id)
            return (span is None or span.covers(day)) and workday(day)

        return expect

    def local_day(self, at: datetime) -> date:
        """The hall's calendar day of an instant (the hall's zone decides the day)."""
        return at.astimezone(self.zone).date()

    def judge(
        self,
        *,
        punches: Iterable[PunchFact],
        leaves: Iterable[LeaveFact] = (),
        corrections: Iterable[CorrectionFact] = (),
        start: date,
        end: date,
        roster: Iterable[str] | None = None,
        employment: Mapping[str, Employment] | None = None,
        expected: Expected | None = None,
        now: datetime | None = None,
    ) -> list[DayRecord]:
        """Every expected staff-day from `start` to `end`, sorted by staff and day.

        The staff are `roster` plus everyone named in the facts. `expected` (default: workdays
        within `employment`) says who is judged on which day. With `now` (the hall's clock)
        days after today are not judged, what is not yet due today is 未到, and a punch whose
        device time is later than `now` (a clock running ahead) judges nothing until it comes.
        """
        if now is not None:
            aware_or_fail(now)  # a naive clock would be read in the process's own zone
        paused = gc.isenabled()
        gc.disable()  # a month builds a million acyclic objects: skip needless GC passes
        try:
            if now is not None:
                end = min(end, self.local_day(now))
            if end < start:
                return []
            expect = expected or (self.expected(employment) if employment else None)
            return self._judge_all(punches, leaves, corrections, start, end, roster, expect, now)
        finally:
            if paused:
                gc.enable()

    def _judge_all(
        self,
        punches: Iterable[PunchFact],
        leaves: Iterable[LeaveFact],
        corrections: Iterable[CorrectionFact],
        start: date,
        end: date,
        roster: Iterable[str] | None,
        expect: Expected | None,
        now: datetime | None,
    ) -> list[DayRecord]:
        punch_list = punches if isinstance(punches, list) else list(punches)
        if now is not None:  # a device time later than the hall's clock has not come yet
            punch_list = [p for p in punch_list if p.at <= now]
        leaves_by: dict[str, list[LeaveFact]] = {}
        for lv in leaves:
            leaves_by.setdefault(lv.staff_id, []).append(lv)
        corr_by: dict[tuple[str, date], list[CorrectionFact]] = {}
        for c in corrections:
            corr_by.setdefault((c.staff_id, self.local_day(c.at)), []).append(c)
        staff_set = set(roster or ())
        staff_set.update({p.staff_id for p in punch_list})
        staff_set.update(leaves_by)
        staff_set.update(k[0] for k in corr_by)
        staff = sorted(staff_set)
        days = _days(start, end)
        wanted: dict[str, set[date]] | None = None
        if expect is None:
            plans = [pl for pl in (self.plan(d) for d in days) if pl is not None]
        else:
            wanted = {s: {d for d in days if expect(s, d)} for s in staff}
            judged = set().union(*wanted.values()) if wanted else set()
            plans = [self.day_plan(d) for d in days if d in judged]
        now_ts = ts(now) if now is not None else None
        settled = [pl for pl in plans if now_ts is None or pl.closes <= now_ts]
        index = self._index_days(start, end)
        fast = self.fast_min is not None and len(punch_list) >= self.fast_min and settled
        if not fast:
            return self._judge_each(
                punch_list, leaves_by, corr_by, staff, plans, index, wanted, now_ts
            )
        from hub.attendance.fastpath import SlotTable, judge_many

        special = set(leaves_by) | {k[0] for k in corr_by}
        plain = [s for s in staff if s not in special]
        many = judge_many(
            [p for p in punch_list if p.staff_id not in special] if special else punch_list,
            plain,
            SlotTable(settled),
            index,
            self.policy,
            wanted,
        )
        open_plans = plans[len(settled) :]  # at most today, not over yet
        each_staff = sorted(special) if not open_plans else staff
        rest = self._judge_each(
            punch_list,
            leaves_by,
            corr_by,
            each_staff,
            plans,
            index,
            wanted,
            now_ts,
            skip=None if not open_plans else (set(plain), {pl.day for pl in settled}),
        )
        if not rest:
            return many
        return list(heapq.merge(many, rest, key=lambda r: (r.staff_id, r.day)))

    def _index_days(self, start: date, end: date) -> tuple[list[int], list[date]]:
        """Local midnights (epoch seconds) and days from the day before `start` to after `end`."""
        days = _days(start - timedelta(days=1), end + timedelta(days=1))
        starts = [ts(datetime.combine(d, datetime.min.time(), tzinfo=self.zone)) for d in days]
        return starts, days

    def _judge_each(
        self,
        punches: list[PunchFact],
        leaves_by: dict[str, list[LeaveFact]],
        corr_by: dict[tuple[str, date], list[CorrectionFact]],
        staff: list[str],
        plans: list[DayPlan],
        index: tuple[list[int], list[date]],
        wanted: dict[str, set[date]] | None,
        now_ts: int | None,
        skip: tuple[set[str], set[date]] | None = None,
    ) -> list[DayRecord]:
        """The per-day path: group punches by staff-day and judge each.

        `skip` (staff, days): those staff-days are judged elsewhere (the vectorised path).
        """
        judged_days = {pl.day for pl in plans}
        members = set(staff)
        grouped: dict[tuple[str, date], list[Punch]] = {}
        starts, day_list = index
        for p in punches:
            if p.staff_id not in members:
                continue
            t = int(p.at.timestamp())
            i = bisect_right(starts, t) - 1
            if i < 0 or i >= len(day_list) or day_list[i] not in judged_days:
                continue
            key = (p.staff_id, day_list[i])
            bucket = grouped.get(key)
            if bucket is None:
                grouped[key] = [(t, p.at)]
            else:
                bucket.append((t, p.at))
        out: list[DayRecord] = []
        policy = self.policy
        for sid in staff:
            staff_leaves = leaves_by.get(sid, ())
            mine = wanted.get(sid) if wanted is not None else None
            plain = skip is not None and sid in skip[0]
            for pl in plans:
                if mine is not None and pl.day not in mine:
                    continue
                if plain and skip is not None and pl.day in skip[1]:
                    continue
                key = (sid, pl.day)
                out.append(
                    judge_day(
                        policy,
                        sid,
                        pl,
                        grouped.get(key, ()),
                        staff_leaves,
                        corr_by.get(key, ()),
                        now_ts,
                    )
                )
        return out

    def judge_day(
        self,
        staff_id: str,
        day: date,
        *,
        punches: Iterable[PunchFact],
        leaves: Iterable[LeaveFact] = (),
        corrections: Iterable[CorrectionFact] = (),
        employment: Employment | None = None,
        expected: Expected | None = None,
        now: datetime | None = None,
        trace: Trace | None = None,
    ) -> DayRecord | None:
        """One staff-day from its facts (others are ignored); None when it is not judged.

        A day is not judged when nobody expects the staff member then (`expected`, default:
        a workday within `employment`) or, with `now`, when it has not come yet.
        """
        if now is not None:
            aware_or_fail(now)
            if day > self.local_day(now):
                return None
        if expected is not None:
            if not expected(staff_id, day):
                return None
        elif (employment is not None and not employment.covers(day)) or not (
            self.calendar.is_workday(day)
        ):
            return None
        pl = self.day_plan(day)
        pts = [
            (ts(p.at), p.at)
            for p in punches
            if p.staff_id == staff_id
            and self.local_day(p.at) == day
            and (now is None or p.at <= now)  # a device time ahead of the clock: not yet
        ]
        lvs = [lv for lv in leaves if lv.staff_id == staff_id]
        cos = [c for c in corrections if c.staff_id == staff_id and self.local_day(c.at) == day]
        now_ts = ts(now) if now is not None else None
        return judge_day(self.policy, staff_id, pl, pts, lvs, cos, now_ts, trace)

    def explain_day(
        self,
        staff_id: str,
        day: date,
        *,
        punches: Iterable[PunchFact],
        leaves: Iterable[LeaveFact] = (),
        corrections: Iterable[CorrectionFact] = (),
        employment: Employment | None = None,
        expected: Expected | None = None,
        now: datetime | None = None,
    ) -> tuple[DayRecord, list[dict[str, Any]]] | None:
        """The staff-day and why each checkpoint got its verdict (hub.attendance.explain)."""
        from hub.attendance.explain import explain_day

        trace = Trace()
        record = self.judge_day(
            staff_id,
            day,
            punches=punches,
            leaves=leaves,
            corrections=corrections,
            employment=employment,
            expected=expected,
            now=now,
            trace=trace,
        )
        if record is None:
            return None
        return record, explain_day(self.policy, self.day_plan(day), record, trace, self.zone)


def _days(start: date, end: date) -> list[date]:
    out, d = [], start
    while d <= end:
        out.append(d)
        d += timedelta(days=1)
    return out


def judge(
    policy: Policy,
    *,
    punches: Iterable[PunchFact],
    start: date,
    end: date,
    leaves: Iterable[LeaveFact] = (),
    corrections: Iterable[CorrectionFact] = (),
    roster: Iterable[str] | None = None,
    calendar: WorkCalendar | None = None,
    employment: Mapping[str, Employment] | None = None,
    expected: Expected | None = None,
    now: datetime | None = None,
) -> list[DayRecord]:
    """Judge a period from scratch (see Judge.judge)."""
    return Judge(policy, calendar).judge(
        punches=punches,
        leaves=leaves,
        corrections=corrections,
        start=start,
        end=end,
        roster=roster,
        employment=employment,
        expected=expected,
        now=now,
    )
