"""The duty policy: every number of DUTY-1..5, ATT-12, POST-7, POST-8 and DEV-1 as a setting.

Shipped presets are TOML files in `presets/`; a hall edits its own copy (stored by the hub and
edited in the dashboard). The assessment's points are part of it (rule DUTY-5).
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.errors import explain

DEFAULT_PRESET = "centre-2023"
CHECK_ITEMS = ("on_post", "badge", "sign", "desk")
"""What a duty check looks at per seat (rule POST-8): on post, duty badge, away sign, desk."""


class PolicyError(ValueError):
    """A duty policy is wrong; the message says where."""


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RosterRules(_Part):
    """Rule DUTY-1."""

    filing_days_before: int = Field(
        default=0, ge=0, le=31, description="Filed at least this many days before the month"
    )


class HandoverRules(_Part):
    """Rule POST-7."""

    notice_days: int = Field(default=1, ge=0, le=14, description="Planned handover days ahead")
    alert_after_min: int = Field(
        default=5, ge=0, le=120, description="A ledger flag lasting this long raises an alert"
    )


class ArrivalRules(_Part):
    """Rule ATT-12: minutes on post before opening."""

    staff_min_before: int = Field(default=5, ge=0, le=120)
    staff_max_before: int = Field(default=10, ge=0, le=120)
    chief_min_before: int = Field(default=10, ge=0, le=120)
    chief_max_before: int = Field(default=15, ge=0, le=120)

    @model_validator(mode="after")
    def _order(self) -> ArrivalRules:
        if self.staff_min_before > self.staff_max_before:
            raise ValueError("staff_min_before is more than staff_max_before")
        if self.chief_min_before > self.chief_max_before:
            raise ValueError("chief_min_before is more than chief_max_before")
        return self


class RotationRules(_Part):
    """Rule DUTY-2."""

    term_days: int = Field(default=14, ge=1, le=92, description="Length of a duty chief's term")


class CheckRules(_Part):
    """Rule POST-8."""

    per_day: int = Field(default=2, ge=1, le=8)
    min_gap_min: int = Field(default=60, ge=0, le=480)
    overdue_after_min: int = Field(default=30, ge=1, le=480)
    items: tuple[str, ...] = Field(default=CHECK_ITEMS, min_length=1)

    @model_validator(mode="after")
    def _known(self) -> CheckRules:
        unknown = [i for i in self.items if i not in CHECK_ITEMS]
        if unknown:
            raise ValueError(f"unknown check items {unknown}; items: {', '.join(CHECK_ITEMS)}")
        return self


class OpeningRules(_Part):
    """Rule DEV-1: the duty chief acknowledges the opening check by opening time."""

    ack_after_opening_min: int = Field(default=0, ge=0, le=120)


class WeeklyRules(_Part):
    """Rules DUTY-3 and DUTY-4: leaders' sittings and inspections."""

    leader_register_days: int = Field(default=7, ge=0, le=60)
    leader_sittings_per_week: int = Field(default=1, ge=0, le=7)
    inspections_per_week: int = Field(default=1, ge=0, le=20)


class Points(_Part):
    """Rule DUTY-5: the monthly assessment's points (negative: 扣分, positive: 加分)."""

    base: float = 100
    late: float = -1
    early: float = -1
    absent_half_day: float = -2.5
    missing_punch: float = 0
    lates_reaching: int = Field(default=6, ge=1)
    lates_reaching_points: float = -50
    missing_over: int = Field(default=6, ge=0)
    missing_over_points: float = -50
    not_early: float = 0
    violation: float = -2
    dissatisfied: float = -2
    complaint: float = -2
    inspection_problem: float = -2
    check_missed: float = -2
    opening_unacknowledged: float = -2


class DutyPolicy(_Part):
    """A hall's duty policy."""

    name: str = DEFAULT_PRESET
    roster: RosterRules = RosterRules()
    handover: HandoverRules = HandoverRules()
    arrival: ArrivalRules = ArrivalRules()
    rotation: RotationRules = RotationRules()
    checks: CheckRules = CheckRules()
    opening: OpeningRules = OpeningRules()
    weekly: WeeklyRules = WeeklyRules()
    points: Points = Points()


def preset_names() -> list[str]:
    """The shipped presets."""
    folder = resources.files("hub.duty") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def parse_policy(data: dict[str, Any], source: str = "policy") -> DutyPolicy:
    """A DutyPolicy from a dict, or PolicyError naming the field."""
    try:
        return DutyPolicy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(f"{source}: {explain(exc)}") from None


def load_preset(name: str = DEFAULT_PRESET) -> DutyPolicy:
    """A shipped preset by name."""
    if name not in preset_names():
        raise PolicyError(f"no duty preset {name!r}; presets: {', '.join(preset_names())}")
    text = (resources.files("hub.duty") / "presets" / f"{name}.toml").read_text(encoding="utf-8")
    try:
        return parse_policy({"name": name, **tomllib.loads(text)}, name)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{name}: not valid TOML: {exc}") from None
