"""A day's plan: each checkpoint's target, deadline and window, and the half-days that pair.

Pure (RULES.md "How a punch is judged", *Windows* and *Which punch counts*). Times are epoch
seconds, so the per-day judge and the vectorised one compare plain integers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from hub.attendance.facts import Status, aware_or_fail
from hub.attendance.policy import CheckpointKind, Policy


@dataclass(frozen=True, slots=True)
class Slot:
    """One checkpoint of a day: target (deadline or stop time) and the window of its punches."""

    name: str
    arrive: bool
    half: str
    target: int  # epoch seconds
    opens: int
    closes: int  # exclusive
    grace: int  # minutes
    absent_after: int | None  # minutes; None: no 脱岗 (rule ATT-3 not in the policy)
    bad: Status  # late for arrive, early for leave
    gap_from: int  # an ATT-4 gap before the window: [gap_from, opens); gap_from == opens: none


@dataclass(frozen=True, slots=True)
class Unit:
    """A half-day's arrive checkpoint and the leave checkpoint after it: their punches pair."""

    arrive: int  # slot index
    leave: int  # slot index
    opens: int  # the arrive window's opening
    closes: int  # the leave window's closing (exclusive)


@dataclass(frozen=True, slots=True)
class DayPlan:
    """A day's checkpoints with target times and windows (epoch seconds), and its units."""

    day: date
    slots: tuple[Slot, ...]
    units: tuple[Unit, ...]

    @property
    def closes(self) -> int:
        """When the day's last window closes: from then on nothing of the day can change."""
        return self.slots[-1].closes


def ts(at: datetime) -> int:
    """Epoch seconds of an aware time."""
    aware_or_fail(at)
    return int(at.timestamp())


def make_plan(policy: Policy, day: date, zone: ZoneInfo) -> DayPlan:
    """The windows of `day` under `policy` (whether or not it is a workday)."""
    p = policy
    summer = p.season.is_summer(day)  # rule ATT-2: season by date
    cps = p.checkpoints
    targets = [ts(datetime.combine(day, c.target(summer), tzinfo=zone)) for c in cps]
    absent_after = p.absent_after if p.absent_from_post else None
    slots = []
    for i, c in enumerate(cps):
        # windows split at the midpoint of consecutive targets ("How a punch is judged")
        boundary = targets[0] - p.open_before * 60 if i == 0 else (targets[i - 1] + targets[i]) // 2
        opens = boundary
        if c.opens_before is not None:  # rule ATT-4: an arrive window may open later
            opens = max(boundary, targets[i] - c.opens_before * 60)
        last = i == len(cps) - 1
        closes = targets[i] + p.close_after * 60 if last else (targets[i] + targets[i + 1]) // 2
        arrive = c.kind is CheckpointKind.ARRIVE
        slots.append(
            Slot(
                c.name,
                arrive,
                c.half,
                targets[i],
                opens,
                closes,
                p.late_grace if arrive else p.early_grace,
                absent_after,
                Status.LATE if arrive else Status.EARLY,
                boundary,
            )
        )
    units = tuple(
        Unit(i, i + 1, slots[i].opens, slots[i + 1].closes)
        for i in range(len(slots) - 1)
        if slots[i].arrive and not slots[i + 1].arrive and slots[i].half == slots[i + 1].half
    )
    return DayPlan(day, tuple(slots), units)
