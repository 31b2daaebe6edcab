"""One staff member's day judged: which punch counts for each checkpoint, and its verdict.

Pure, the per-day path of RULES.md "How a punch is judged"; hub.attendance.fastpath gives the
same verdicts for many settled days at once (the tests hold the two equal). Punches are judged
at whole minutes, as a clock shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from hub.attendance.facts import (
    CheckpointResult,
    CorrectionFact,
    DayRecord,
    LeaveFact,
    Status,
)
from hub.attendance.plan import DayPlan, Slot, ts
from hub.attendance.policy import Policy

Punch = tuple[int, datetime]
"""A punch as (epoch seconds, the time as written)."""

_OK, _ABSENT = Status.OK, Status.ABSENT


@dataclass(slots=True)
class Trace:
    """What the judge looked at and chose, kept when a verdict must explain itself."""

    kept: list[tuple[datetime, int, int]] = field(default_factory=list)
    """Each kept punch: (time, slot of the window holding it, slot of its ATT-4 gap); -1: none."""
    merged: list[tuple[datetime, datetime]] = field(default_factory=list)
    """(punch, the kept punch it is one with): repeats within dedup_s of the one before."""
    unit_mode: dict[int, str] = field(default_factory=dict)
    """Per unit (by its arrive slot): paired, one_arrival, one_leave, arrival_so_far."""
    leave: dict[int, LeaveFact] = field(default_factory=dict)
    fix: dict[int, CorrectionFact] = field(default_factory=dict)


def dedup(items: list[Punch], dedup_s: int) -> tuple[list[Punch], list[tuple[datetime, datetime]]]:
    """Punches within `dedup_s` seconds of the one before are one punch (the first).

    Returns the kept punches and, for each dropped one, (its time, the kept punch's time).
    """
    if len(items) < 2:
        return items, []
    kept, merged = [items[0]], []
    prev = items[0][0]
    for item in items[1:]:
        if item[0] - prev > dedup_s:
            kept.append(item)
        else:
            merged.append((item[1], kept[-1][1]))
        prev = item[0]
    return kept, merged


def _place(slots: Sequence[Slot], t: int) -> tuple[int, int]:
    """(slot whose window holds t, or -1; slot whose ATT-4 gap holds t, or -1)."""
    for i, s in enumerate(slots):
        if s.opens <= t < s.closes:
            return i, -1
        if s.gap_from <= t < s.opens:
            return -1, i
    return -1, -1


def judge_day(
    policy: Policy,
    staff_id: str,
    plan: DayPlan,
    punches: Sequence[Punch],
    leaves: Sequence[LeaveFact] = (),
    corrections: Sequence[CorrectionFact] = (),
    now: int | None = None,
    trace: Trace | None = None,
) -> DayRecord:
    """The day's record; `now` (epoch seconds, the hall's clock) leaves what is not due 未到."""
    items = sorted(punches) if len(punches) > 1 else list(punches)
    kept, merged = dedup(items, policy.dedup_s)
    slots = plan.slots
    n = len(slots)
    counting: list[Punch | None] = [None] * n
    early = [False] * n
    stray: list[datetime] = []
    placed: list[tuple[Punch, int]] = []
    in_unit = [False] * n
    for u in plan.units:
        in_unit[u.arrive] = in_unit[u.leave] = True
    for item in kept:
        j, gap = _place(slots, item[0])
        if trace is not None:
            trace.kept.append((item[1], j, gap))
        if j < 0:
            stray.append(item[1])  # rule ATT-4: kept and shown, judges nothing
            if gap >= 0:
                early[gap] = True  # rule ATT-4: a punch before the window opens is a fault
        elif in_unit[j]:
            placed.append((item, j))
        elif counting[j] is None or not slots[j].arrive:
            counting[j] = item  # earliest punch counts for arrive, latest for leave
    for u in plan.units:
        mine = [(item, j) for item, j in placed if j in (u.arrive, u.leave)]
        if not mine:
            continue
        (first, j_first), (last, _j) = mine[0], mine[-1]
        if now is not None and now < u.closes and now < slots[u.leave].target:
            mode = "arrival_so_far"  # the leave is not due yet: what came so far is the arrival
            counting[u.arrive] = first
        elif last[0] // 60 - first[0] // 60 >= policy.min_stay:
            # two punches min_stay apart are the arrival and the leave, wherever the midpoint
            # falls: arriving two hours late is lateness, never a milder missing punch (ATT-3)
            mode = "paired"
            counting[u.arrive], counting[u.leave] = first, last
        elif j_first == u.arrive:
            mode = "one_arrival"  # closer punches are one arrival or one leave, as windows say
            counting[u.arrive] = first
        else:
            mode = "one_leave"
            counting[u.leave] = last
        if trace is not None:
            trace.unit_mode[u.arrive] = mode
    if trace is not None:
        trace.merged = merged
    closes = [s.closes for s in slots]
    for u in plan.units:
        closes[u.arrive] = closes[u.leave] = u.closes
    fixes = _corrections(slots, corrections) if corrections else {}
    results: list[CheckpointResult] = []
    missing = False
    for i, s in enumerate(slots):
        got = counting[i]
        leave = _covering(leaves, s.target) if leaves else None
        if leave is not None:  # rule ATT-5: approved leave covers the checkpoint
            if trace is not None:
                trace.leave[i] = leave
            results.append(
                CheckpointResult(
                    s.name, Status.LEAVE, 0, got[1] if got else None, False, leave.kind, "ATT-5"
                )
            )
        elif i in fixes:  # rule ATT-6: an approved correction is the punch
            fix = fixes[i]
            if trace is not None:
                trace.fix[i] = fix
            results.append(verdict(s, ts(fix.at), fix.at, True))
        elif got is not None:
            results.append(verdict(s, got[0], got[1], False))
        elif now is not None and now < closes[i]:
            results.append(CheckpointResult(s.name, Status.NOT_DUE, 0, None, False, None, ""))
        else:
            missing = True
            results.append(CheckpointResult(s.name, Status.MISSING, 0, None, False, None, "ATT-6"))
        if early[i]:
            results[i] = results[i]._replace(early_punch=True)
    if missing:
        _halves(slots, results, policy.missing_counts_absent)
    return DayRecord(staff_id, plan.day, tuple(results), tuple(stray))


def verdict(s: Slot, t: int, at: datetime, corrected: bool) -> CheckpointResult:
    """A checkpoint judged from the punch (or correction) that counts for it."""
    minute = t - t % 60  # judged at whole minutes
    # rule ATT-11: for a leave checkpoint a punch after the stop time is never a fault
    off = (minute - s.target) // 60 if s.arrive else (s.target - minute) // 60
    if off <= s.grace:
        return CheckpointResult(s.name, _OK, 0, at, corrected, None, "ATT-2")
    if s.absent_after is not None and off > s.absent_after:  # rule ATT-3: 脱岗
        return CheckpointResult(s.name, Status.ABSENT_FROM_POST, off, at, corrected, None, "ATT-3")
    return CheckpointResult(s.name, s.bad, off, at, corrected, None, "ATT-2")


def _corrections(
    slots: Sequence[Slot], corrections: Sequence[CorrectionFact]
) -> dict[int, CorrectionFact]:
    """The correction that counts for each checkpoint (earliest for arrive, latest for leave)."""
    chosen: dict[int, CorrectionFact] = {}
    by_name = {s.name: i for i, s in enumerate(slots)}
    for c in sorted(corrections, key=lambda c: (c.at, c.reason, c.approver, c.checkpoint or "")):
        t = ts(c.at)
        i = by_name.get(c.checkpoint) if c.checkpoint else None
        if i is None:
            inside = [k for k, s in enumerate(slots) if s.opens <= t < s.closes]
            i = (
                inside[0]
                if inside
                else min(range(len(slots)), key=lambda k: (abs(slots[k].target - t), k))
            )
        if i not in chosen or not slots[i].arrive:
            chosen[i] = c
    return chosen


def _halves(slots: Sequence[Slot], results: list[CheckpointResult], strict: bool) -> None:
    """Rule ATT-6: both checkpoints of a half-day missing is 旷工 for that half-day."""
    for half in ("AM", "PM"):
        idx = [i for i, s in enumerate(slots) if s.half == half]
        gone = [i for i in idx if results[i].status is Status.MISSING]
        if gone and (strict or len(gone) == len(idx)):
            for i in gone:
                results[i] = results[i]._replace(status=_ABSENT, rule="ATT-6")


def _covering(leaves: Sequence[LeaveFact], target: int) -> LeaveFact | None:
    """The approved leave covering a checkpoint's target time (the earliest-starting one)."""
    covering = [lv for lv in leaves if ts(lv.start) <= target <= ts(lv.end)]
    if not covering:
        return None
    return min(covering, key=lambda lv: (ts(lv.start), lv.kind, ts(lv.end), lv.ref))
