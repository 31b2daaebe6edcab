"""A month's money penalties (rule ATT-9, and the early punch of rule ATT-4): pure arithmetic.

Each line names its rule and the policy setting that priced it, so a pay office can check it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from hub.attendance.policy import Penalties


@dataclass(frozen=True, slots=True)
class PenaltyLine:
    """One line of a staff member's month: what, how many, at what price, per which rule."""

    item: str  # late, early, absent, early_punch, monthly_late, monthly_forgotten
    rule: str
    setting: str  # the policy setting that priced it, with its value
    count: int
    yuan_each: int
    yuan: int
    days_pay: int = 0  # days whose pay is forfeited as well (absence)

    def as_dict(self) -> dict[str, Any]:
        """The line as plain JSON values."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class MonthCounts:
    """What the penalties of a month are computed from."""

    late: int
    early: int
    absent_days: int
    early_punches: int
    forgotten_signins: int


def month_penalties(p: Penalties | None, counts: MonthCounts) -> list[PenaltyLine]:
    """The penalty lines of a month; none when the policy has no penalties (ATT-9 optional)."""
    if p is None:
        return []
    lines: list[PenaltyLine] = []
    each = p.late_or_early_yuan
    if counts.late:  # rule ATT-9: 迟到一次扣款10元
        setting = f"penalties.late_or_early_yuan = {each}"
        lines.append(PenaltyLine("late", "ATT-9", setting, counts.late, each, counts.late * each))
    if counts.early:  # rule ATT-9: 早退一次扣款10元
        setting = f"penalties.late_or_early_yuan = {each}"
        lines.append(
            PenaltyLine("early", "ATT-9", setting, counts.early, each, counts.early * each)
        )
    if counts.absent_days:  # rule ATT-9: 旷工一次, 先扣除当日工资再加扣50元
        extra = p.absent_extra_yuan
        setting = (
            f"penalties.absent_extra_yuan = {extra}, "
            f"penalties.absent_days_pay = {str(p.absent_days_pay).lower()}"
        )
        lines.append(
            PenaltyLine(
                "absent",
                "ATT-9",
                setting,
                counts.absent_days,
                extra,
                counts.absent_days * extra,
                counts.absent_days if p.absent_days_pay else 0,
            )
        )
    if counts.early_punches and p.early_punch_yuan:  # rule ATT-4: 否则按相关规定处罚
        price = p.early_punch_yuan
        setting = f"penalties.early_punch_yuan = {price}"
        lines.append(
            PenaltyLine(
                "early_punch",
                "ATT-4",
                setting,
                counts.early_punches,
                price,
                counts.early_punches * price,
            )
        )
    charged = False  # rule ATT-9: the monthly sum is charged once, whichever limit is hit
    for item, limit, n in (
        ("monthly_late", p.monthly_late, counts.late),
        ("monthly_forgotten", p.monthly_forgotten, counts.forgotten_signins),
    ):
        if limit is not None and limit.hit(n):
            setting = (
                f"penalties.{item} = {limit.count} ({limit.compare}), "
                f"penalties.monthly_limit_yuan = {p.monthly_limit_yuan}"
            )
            yuan = 0 if charged else p.monthly_limit_yuan
            lines.append(PenaltyLine(item, "ATT-9", setting, n, p.monthly_limit_yuan, yuan))
            charged = True
    return lines
