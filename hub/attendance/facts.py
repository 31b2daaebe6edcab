"""The facts and verdicts of attendance: punches, leave, corrections; judged checkpoints.

Plain immutable values (rules ATT-1, ATT-5, ATT-6); every time carries its UTC offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple


class Status(StrEnum):
    """The verdict on one checkpoint (a corrected one keeps its verdict and is marked 已补卡)."""

    OK = "ok"
    LATE = "late"  # 迟到 (rule ATT-2/ATT-3)
    EARLY = "early"  # 早退
    ABSENT_FROM_POST = "absent_from_post"  # 脱岗: late or early past absent_after (rule ATT-3)
    MISSING = "missing"  # 缺卡: one punch of a worked half-day missing (rule ATT-6)
    ABSENT = "absent"  # 旷工: both punches of a half-day missing, no leave (rule ATT-6)
    NOT_DUE = "not_due"  # 未到: no punch yet and the half-day is not over; never counted
    LEAVE = "leave"  # 请假 (rule ATT-5)


class LeaveKind(StrEnum):
    """Kinds of leave (rule ATT-5)."""

    PERSONAL = "personal"  # 事假
    SICK = "sick"  # 病假
    ANNUAL = "annual"  # 年假
    MARRIAGE = "marriage"  # 婚假
    MATERNITY = "maternity"  # 产假
    BEREAVEMENT = "bereavement"  # 丧假
    OFFICIAL = "official"  # 因公
    HOME = "home"  # 探亲假
    PAID_ANNUAL = "paid_annual"  # 带薪休假


def aware_or_fail(at: datetime) -> None:
    """Refuse a naive datetime."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()}: times must carry their UTC offset")


@dataclass(frozen=True, slots=True)
class PunchFact:
    """A staff member's face punch at device time `at` (rule ATT-1)."""

    staff_id: str
    at: datetime

    def __post_init__(self) -> None:
        aware_or_fail(self.at)


@dataclass(frozen=True, slots=True)
class LeaveFact:
    """Approved leave from `start` to `end` (both included) (rule ATT-5)."""

    staff_id: str
    start: datetime
    end: datetime
    kind: str
    ref: str = ""
    """Where it comes from (e.g. "leave 12", "leaves.csv:3"): named when it overrides a verdict."""

    def __post_init__(self) -> None:
        aware_or_fail(self.start)
        aware_or_fail(self.end)
        if self.end < self.start:
            raise ValueError(f"leave of {self.staff_id} ends before it starts")


@dataclass(frozen=True, slots=True)
class CorrectionFact:
    """An approved correction (补卡): counts as a punch at `at` (rule ATT-6).

    `checkpoint` None means the checkpoint whose window holds `at` (else the nearest one).
    """

    staff_id: str
    at: datetime
    reason: str
    approver: str
    checkpoint: str | None = None
    ref: str = ""
    """Where it comes from (e.g. "correction 7"): named when it overrides a verdict."""

    def __post_init__(self) -> None:
        aware_or_fail(self.at)


class CheckpointResult(NamedTuple):
    """One checkpoint judged: status, minutes late or early, the punch that counted.

    `early_punch`: someone punched in the gap before this checkpoint's window opens (rule ATT-4),
    a fault the policy may penalise, whatever the checkpoint's own verdict.
    """

    checkpoint: str
    status: Status
    minutes: int
    punch: datetime | None
    corrected: bool
    leave_kind: str | None
    rule: str
    early_punch: bool = False


class DayRecord(NamedTuple):
    """A staff member's judged workday; `stray` are punches outside every window (ATT-4)."""

    staff_id: str
    day: date
    checkpoints: tuple[CheckpointResult, ...]
    stray: tuple[datetime, ...] = ()

    def by_name(self, name: str) -> CheckpointResult:
        """The result of the checkpoint called `name`."""
        for c in self.checkpoints:
            if c.checkpoint == name:
                return c
        raise KeyError(name)
