"""The attendance engine: punches, leave and corrections judged by policy and calendar.

Pure: plain values in, plain values out; no I/O. Implements RULES.md "How a punch is judged".
Punches are judged at whole minutes, as a clock shows them (the seconds are dropped).
The same facts in any order give the same records: every choice is made on sorted values.
"""

from __future__ import annotations

import gc
import heapq
import logging
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hub.attendance.calendar import WorkCalendar
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
from hub.attendance.policy import CheckpointKind, Policy

logger = logging.getLogger(__name__)


__all__ = [
    "CheckpointResult",
    "CorrectionFact",
    "DayRecord",
    "Judge",
    "LeaveFact",
    "LeaveKind",
    "PunchFact",
    "Status",
    "judge",
]

_OK, _ABSENT = Status.OK, Status.ABSENT


@dataclass(frozen=True, slots=True)
class _Slot:
    name: str
    arrive: bool
    half: str
    target: int  # epoch seconds
    opens: int
    closes: int  # exclusive
    grace: int  # minutes
    absent_after: int  # minutes
    bad: Status  # late for arrive, early for leave


@dataclass(frozen=True, slots=True)
class DayPlan:
    """A workday's checkpoints with target times and windows (epoch seconds)."""

    day: date
    slots: tuple[_Slot, ...]


def _ts(at: datetime) -> int:
    aware_or_fail(at)
    return int(at.timestamp())


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
        self._plans: dict[date, DayPlan | None] = {}

    def plan(self, day: date) -> DayPlan | None:
        """The day's windows, or None when `day` is not a workday (rule ATT-10)."""
        if day in self._plans:
            return self._plans[day]
        plan = self._make_plan(day) if self.calendar.is_workday(day) else None
        self._plans[day] = plan
        return plan

    def _make_plan(self, day: date) -> DayPlan:
        p = self.policy
        summer = p.season.is_summer(day)  # rule ATT-2: season by date
        cps = p.checkpoints
        targets = [_ts(datetime.combine(day, c.target(summer), tzinfo=self.zone)) for c in cps]
        slots = []
        for i, c in enumerate(cps):
            # windows split at the midpoint of consecutive targets ("How a punch is judged")
            if i == 0:
                opens = targets[0] - p.open_before * 60
            else:
                opens = (targets[i - 1] + targets[i]) // 2
            if c.opens_before is not None:  # rule ATT-4: an arrive window may open later
                opens = max(opens, targets[i] - c.opens_before * 60)
            last = i == len(cps) - 1
            closes = targets[i] + p.close_after * 60 if last else (targets[i] + targets[i + 1]) // 2
            arrive = c.kind is CheckpointKind.ARRIVE
            slots.append(
                _Slot(
                    c.name,
                    arrive,
                    c.half,
                    targets[i],
                    opens,
                    closes,
                    p.late_grace if arrive else p.early_grace,
                    p.absent_after,
                    Status.LATE if arrive else Status.EARLY,
                )
            )
        return DayPlan(day, tuple(slots))

    def local_day(self, at: datetime) -> date:
        """The hall's calendar day of an instant (the hall's zone decides the day)."""
        return at.astimezone(self.zone).date()

    def _index_days(self, start: date, end: date) -> tuple[list[int], list[date]]:
        """Local midnights (epoch seconds) and days from the day before `start` to after `end`."""
        days = _days(start - timedelta(days=1), end + timedelta(days=1))
        starts = [_ts(datetime.combine(d, datetime.min.time(), tzinfo=self.zone)) for d in days]
        return starts, days

    def judge(
        self,
        *,
        punches: Iterable[PunchFact],
        leaves: Iterable[LeaveFact] = (),
        corrections: Iterable[CorrectionFact] = (),
        start: date,
        end: date,
        roster: Iterable[str] | None = None,
    ) -> list[DayRecord]:
        """Every workday from `start` to `end` for every staff member, sorted by staff and day.

        The staff are `roster` plus everyone named in the facts.
        """
        paused = gc.isenabled()
        gc.disable()  # a month builds a million acyclic objects: skip needless GC passes
        try:
            return self._judge_all(punches, leaves, corrections, start, end, roster)
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
    ) -> list[DayRecord]:
        index = self._index_days(start, end)
        punch_list = punches if isinstance(punches, list) else list(punches)
        leaves_by: dict[str, list[LeaveFact]] = {}
        for lv in leaves:
            leaves_by.setdefault(lv.staff_id, []).append(lv)
        corr_by: dict[tuple[str, date], list[CorrectionFact]] = {}
        for c in corrections:
            corr_by.setdefault((c.staff_id, self.local_day(c.at)), []).append(c)
        staff = set(roster or ())
        staff.update({p.staff_id for p in punch_list})
        staff.update(leaves_by)
        staff.update(k[0] for k in corr_by)
        plans = [pl for pl in (self.plan(d) for d in _days(start, end)) if pl is not None]
        fast = self.fast_min is not None and len(punch_list) >= self.fast_min and plans
        if not fast:
            return self._judge_each(punch_list, leaves_by, corr_by, sorted(staff), plans, index)
        from hub.attendance.fastpath import SlotTable, judge_many

        special = set(leaves_by) | {k[0] for k in corr_by}
        plain = sorted(staff - special)
        many = judge_many(
            [p for p in punch_list if p.staff_id not in special] if special else punch_list,
            plain,
            SlotTable(plans),
            index[0],
            index[1],
            self.policy.dedup_s,
            self.policy.missing_counts_absent,
        )
        if not special:
            return many
        each = self._judge_each(
            [p for p in punch_list if p.staff_id in special],
            leaves_by,
            corr_by,
            sorted(special),
            plans,
            index,
        )
        return list(heapq.merge(many, each, key=lambda r: r.staff_id))

    def _judge_each(
        self,
        punches: list[PunchFact],
        leaves_by: dict[str, list[LeaveFact]],
        corr_by: dict[tuple[str, date], list[CorrectionFact]],
        staff: list[str],
        plans: list[DayPlan],
        index: tuple[list[int], list[date]],
    ) -> list[DayRecord]:
        """The per-day path: group punches by staff-day and judge each."""
        workdays = {pl.day for pl in plans}
        grouped: dict[tuple[str, date], list[tuple[int, datetime]]] = {}
        starts, day_list = index
        for p in punches:
            ts = int(p.at.timestamp())
            i = bisect_right(starts, ts) - 1
            if i < 0 or i >= len(day_list) or day_list[i] not in workdays:
                continue
            key = (p.staff_id, day_list[i])
            bucket = grouped.get(key)
            if bucket is None:
                grouped[key] = [(ts, p.at)]
            else:
                bucket.append((ts, p.at))
        out: list[DayRecord] = []
        for sid in staff:
            staff_leaves = leaves_by.get(sid, ())
            for pl in plans:
                key = (sid, pl.day)
                out.append(
                    self._judge_plan(
                        sid, pl, grouped.get(key, ()), staff_leaves, corr_by.get(key, ())
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
    ) -> DayRecord | None:
        """One staff-day from its facts (others are ignored); None on a non-workday."""
        pl = self.plan(day)
        if pl is None:
            return None
        pts = [
            (_ts(p.at), p.at)
            for p in punches
            if p.staff_id == staff_id and self.local_day(p.at) == day
        ]
        lvs = [lv for lv in leaves if lv.staff_id == staff_id]
        cos = [c for c in corrections if c.staff_id == staff_id and self.local_day(c.at) == day]
        return self._judge_plan(staff_id, pl, pts, lvs, cos)

    def _judge_plan(
        self,
        staff_id: str,
        plan: DayPlan,
        punches: Sequence[tuple[int, datetime]],
        leaves: Sequence[LeaveFact],
        corrections: Sequence[CorrectionFact],
    ) -> DayRecord:
        items = sorted(punches) if len(punches) > 1 else list(punches)
        kept = _dedup(items, self.policy.dedup_s)
        slots = plan.slots
        n = len(slots)
        counting: list[tuple[int, datetime] | None] = [None] * n
        stray: list[datetime] = []
        for item in kept:
            ts = item[0]
            i = 0
            while i < n:
                s = slots[i]
                if s.opens <= ts < s.closes:
                    # earliest punch counts for arrive, latest for leave
                    if counting[i] is None or not s.arrive:
                        counting[i] = item
                    break
                i += 1
            else:
                stray.append(item[1])  # rule ATT-4: kept and shown, judges nothing
        fixes = self._corrections(slots, corrections) if corrections else None
        results: list[CheckpointResult] = []
        verdict = self._verdict
        missing = False
        for i, s in enumerate(slots):
            got = counting[i]
            leave_kind = _leave_kind(leaves, s.target) if leaves else None
            if leave_kind is not None:  # rule ATT-5: approved leave covers the checkpoint
                results.append(
                    CheckpointResult(
                        s.name, Status.LEAVE, 0, got[1] if got else None, False, leave_kind, "ATT-5"
                    )
                )
            elif fixes and s.name in fixes:  # rule ATT-6: an approved correction is the punch
                fix = fixes[s.name]
                results.append(verdict(s, _ts(fix.at), fix.at, True))
            elif got is not None:
                results.append(verdict(s, got[0], got[1], False))
            else:
                missing = True
                results.append(
                    CheckpointResult(s.name, Status.MISSING, 0, None, False, None, "ATT-6")
                )
        if missing:
            self._halves(slots, results)
        return DayRecord(staff_id, plan.day, tuple(results), tuple(stray))

    def _verdict(self, s: _Slot, ts: int, at: datetime, corrected: bool) -> CheckpointResult:
        minute = ts - ts % 60  # judged at whole minutes
        # rule ATT-11: for a leave checkpoint a punch after the stop time is never a fault
        off = (minute - s.target) // 60 if s.arrive else (s.target - minute) // 60
        if off <= s.grace:
            return CheckpointResult(s.name, _OK, 0, at, corrected, None, "ATT-2")
        if off > s.absent_after:  # rule ATT-3: more than absent_after minutes is 脱岗
            return CheckpointResult(s.name, _ABSENT, off, at, corrected, None, "ATT-3")
        return CheckpointResult(s.name, s.bad, off, at, corrected, None, "ATT-2")

    def _corrections(
        self, slots: Sequence[_Slot], corrections: Sequence[CorrectionFact]
    ) -> dict[str, CorrectionFact]:
        chosen: dict[str, tuple[int, CorrectionFact]] = {}
        by_name = {s.name: s for s in slots}
        for c in sorted(
            corrections, key=lambda c: (c.at, c.reason, c.approver, c.checkpoint or "")
        ):
            ts = _ts(c.at)
            slot = by_name.get(c.checkpoint) if c.checkpoint else None
            if slot is None:
                inside = [s for s in slots if s.opens <= ts < s.closes]
                slot = (
                    inside[0]
                    if inside
                    else min(slots, key=lambda s: (abs(s.target - ts), s.target))
                )
            if slot.name not in chosen or not slot.arrive:
                chosen[slot.name] = (ts, c)
        return {k: v[1] for k, v in chosen.items()}

    def _halves(self, slots: Sequence[_Slot], results: list[CheckpointResult]) -> None:
        # rule ATT-6: both checkpoints of a half-day missing is 旷工 for that half-day
        strict = self.policy.missing_counts_absent
        for half in ("AM", "PM"):
            idx = [i for i, s in enumerate(slots) if s.half == half]
            missing = [i for i in idx if results[i].status is Status.MISSING]
            if missing and (strict or len(missing) == len(idx)):
                for i in missing:
                    results[i] = CheckpointResult(
                        slots[i].name, Status.ABSENT, 0, None, False, None, "ATT-6"
                    )


def _dedup(items: list[tuple[int, datetime]], dedup_s: int) -> list[tuple[int, datetime]]:
    """Repeated punches within `dedup_s` seconds of the one before are one punch (the first)."""
    if len(items) < 2:
        return items
    kept = [items[0]]
    prev = items[0][0]
    for item in items[1:]:
        if item[0] - prev > dedup_s:
            kept.append(item)
        prev = item[0]
    return kept


def _leave_kind(leaves: Sequence[LeaveFact], target: int) -> str | None:
    covering = sorted(
        (_ts(lv.start), lv.kind) for lv in leaves if _ts(lv.start) <= target <= _ts(lv.end)
    )
    return covering[0][1] if covering else None


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
) -> list[DayRecord]:
    """Judge a period from scratch (see Judge.judge)."""
    return Judge(policy, calendar).judge(
        punches=punches, leaves=leaves, corrections=corrections, start=start, end=end, roster=roster
    )
