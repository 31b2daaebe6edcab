"""A hall's rating configuration, by default the national 好差评 scheme (RATE-1, RATE-3). Pure.

The national scheme rates every service on five levels (非常满意 .. 非常不满意); offline, at the
window, on overall satisfaction, service efficiency, service level and attitude. A rating of
不满意 or worse is followed up: the citizen contacted the same working day (RATE-3), the
complaint verified, put right within a time limit, and closed with the answer told to the
citizen. Every number is a setting; the values here are the shipped defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LEVELS: dict[int, str] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
"""The five levels (RATE-1)."""
DIMENSIONS: dict[str, str] = {
    "overall": "总体满意度",
    "efficiency": "办事效率",
    "service_level": "服务水平",
    "attitude": "服务态度",
}
"""The national scheme's offline dimensions, in its order (RATE-1)."""
NATIONAL: tuple[str, ...] = tuple(DIMENSIONS)
DEFAULT_REASONS: dict[str, str] = {
    "attitude": "态度不好",
    "slow": "办事拖拉",
    "unclear": "解释不清",
    "runaround": "多次跑腿",
    "other": "其他",
}
_LEGACY = {"resolve_days": "close_days"}
"""Settings stored under an older name."""


@dataclass(frozen=True, slots=True)
class RatingSettings:
    """A hall's rating configuration and follow-up deadlines (working days)."""

    scheme: str = "national"
    dimensions: tuple[str, ...] = NATIONAL  # rule RATE-1
    dissatisfied_max: int = 2  # levels <= this (不满意, 非常不满意) open a follow-up
    contact_days: int = 0  # rule RATE-3: the citizen is contacted the same working day
    rectify_days: int = 5  # a substantiated complaint is put right within 5 working days
    close_days: int = 10  # and the follow-up closed, the citizen told, within 10
    reasons: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_REASONS))
    star_min_rated: int = 10  # rule RATE-4: fewer rated services cannot make a service star
    star_count: int = 3

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-able values."""
        return {
            "scheme": self.scheme,
            "dimensions": list(self.dimensions),
            "dissatisfied_max": self.dissatisfied_max,
            "contact_days": self.contact_days,
            "rectify_days": self.rectify_days,
            "close_days": self.close_days,
            "reasons": dict(self.reasons),
            "star_min_rated": self.star_min_rated,
            "star_count": self.star_count,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RatingSettings:
        """Settings from stored values: missing keys are defaults, unknown ones an error."""
        data = {_LEGACY.get(k, k): v for k, v in data.items()}
        unknown = set(data) - set(cls().to_dict())
        if unknown:
            raise ValueError(f"unknown ratings settings: {sorted(unknown)}")
        if "dimensions" in data:
            data["dimensions"] = tuple(data["dimensions"])
        s = cls(**data)
        if not set(s.dimensions) <= set(DIMENSIONS) or "overall" not in s.dimensions:
            raise ValueError(f"dimensions are some of {list(DIMENSIONS)}, overall always")
        if len(set(s.dimensions)) != len(s.dimensions):
            raise ValueError("each dimension once")
        if not 0 <= s.contact_days <= s.close_days or not 0 <= s.rectify_days <= s.close_days:
            raise ValueError("need 0 <= contact_days, rectify_days <= close_days")
        if not 1 <= s.dissatisfied_max <= 4:
            raise ValueError("dissatisfied_max must be 1..4")
        return s

    def dissatisfied(self, level: int | None) -> bool:
        """Whether a level opens a follow-up (rule RATE-3)."""
        return level is not None and level <= self.dissatisfied_max
