"""Attendance policies as data: the shipped presets and a hall's own edited copy (TOML).

Every number of "How a punch is judged" (RULES.md) is a field here, never a constant in code.
"""

from __future__ import annotations

import tomllib
from datetime import date, time
from enum import StrEnum
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from models.errors import explain

DEFAULT_POLICY = "wenshang-2021"
"""The preset a hall gets when it names none (rule ATT-2)."""

HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM")]
MMDD = Annotated[
    str, Field(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$", description="MM-DD")
]


class PolicyError(ValueError):
    """A policy file or name is wrong; the message says where and what."""


class CheckpointKind(StrEnum):
    """An arrive checkpoint has a deadline; a leave checkpoint an earliest stop time."""

    ARRIVE = "arrive"
    LEAVE = "leave"


class PolicyModel(BaseModel):
    """Strict, frozen policy part: unknown keys are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Checkpoint(PolicyModel):
    """One checkpoint of the workday (rule ATT-1) with its target time per season."""

    name: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,15}$", description="e.g. AM_IN")
    kind: CheckpointKind
    half: Literal["AM", "PM"] = Field(description="The half-day it belongs to (rule ATT-6)")
    summer: HHMM = Field(description="Target time in summer")
    winter: HHMM = Field(description="Target time in winter")
    opens_before: int | None = Field(
        default=None,
        ge=0,
        le=720,
        description="Window opens at most this many minutes before target (rule ATT-4)",
    )

    def target(self, summer: bool) -> time:
        """The target time of day for the season."""
        hh, mm = (self.summer if summer else self.winter).split(":")
        return time(int(hh), int(mm))


class Season(PolicyModel):
    """Season change dates (rule ATT-2): summer from summer_start to the day before winter_start."""

    summer_start: MMDD = "05-01"
    winter_start: MMDD = "10-01"

    @model_validator(mode="after")
    def _order(self) -> Season:
        if self.summer_start >= self.winter_start:
            raise ValueError("summer_start must come before winter_start in the year")
        return self

    def is_summer(self, day: date) -> bool:
        """True when `day` falls in summer time."""
        return self.summer_start <= f"{day.month:02d}-{day.day:02d}" < self.winter_start


class MonthlyLimit(PolicyModel):
    """A monthly count that costs a fixed sum (rule ATT-9): reaching (达) or exceeding (超过) it."""

    count: int = Field(ge=0, le=100, description="The limit")
    compare: Literal["reaching", "exceeding"] = Field(
        description="reaching: count or more (达6次); exceeding: more than count (超过6次)"
    )

    def hit(self, n: int) -> bool:
        """True when `n` in a month reaches or exceeds the limit, as the policy says."""
        return n >= self.count if self.compare == "reaching" else n > self.count


class Penalties(PolicyModel):
    """Money penalties (rule ATT-9; the early punch of rule ATT-4); optional per policy."""

    late_or_early_yuan: int = Field(default=10, ge=0, description="Each late or early leave")
    absent_days_pay: bool = Field(
        default=True, description="A day of absence costs that day's pay (当日工资)"
    )
    absent_extra_yuan: int = Field(
        default=50, ge=0, description="Each day of absence, on top of that day's pay"
    )
    early_punch_yuan: int = Field(
        default=0, ge=0, description="Each punch before a window opens (rule ATT-4); 0: none"
    )
    monthly_late: MonthlyLimit | None = Field(
        default_factory=lambda: MonthlyLimit(count=6, compare="reaching"),
        description="Lates in a month that cost monthly_limit_yuan (迟到累计达6次)",
    )
    monthly_forgotten: MonthlyLimit | None = Field(
        default_factory=lambda: MonthlyLimit(count=6, compare="exceeding"),
        description="Forgotten sign-ins in a month that cost it (忘记签到超过6次)",
    )
    monthly_limit_yuan: int = Field(
        default=500, ge=0, description="Charged once in a month when either limit is hit"
    )

    @model_validator(mode="before")
    @classmethod
    def _older_keys(cls, data: Any) -> Any:
        """Policy files written before the limits had a comparison: the rule's own reading."""
        if isinstance(data, dict) and (
            "monthly_late_limit" in data or "monthly_missing_limit" in data
        ):
            data = dict(data)
            if "monthly_late_limit" in data:
                data["monthly_late"] = {
                    "count": data.pop("monthly_late_limit"),
                    "compare": "reaching",
                }
            if "monthly_missing_limit" in data:
                data["monthly_forgotten"] = {
                    "count": data.pop("monthly_missing_limit"),
                    "compare": "exceeding",
                }
        return data


class Filing(PolicyModel):
    """What a leave request or a correction may ask (rules ATT-5, ATT-6); checked when filed."""

    correction_days: int = Field(
        default=2,
        ge=0,
        le=62,
        description="A correction is filed within this many days (003: 2天内, ATT-6)",
    )
    correction_in_working_days: bool = Field(
        default=False,
        description="Count correction_days as working days of the hall's calendar (ATT-10) "
        "rather than calendar days (003's 2天内, the default)",
    )
    leave_max_days: int = Field(
        default=180, ge=1, le=400, description="The longest leave one request may cover"
    )
    leave_back_days: int = Field(
        default=31, ge=0, le=366, description="A leave may start at most this many days ago"
    )
    leave_ahead_days: int = Field(
        default=366, ge=1, le=800, description="A leave may start at most this many days ahead"
    )


class HallDays(PolicyModel):
    """A hall's own workdays and holidays on top of the national calendar (rule ATT-10)."""

    extra_workdays: list[date] = Field(default_factory=list)
    extra_holidays: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _disjoint(self) -> HallDays:
        both = sorted(set(self.extra_workdays) & set(self.extra_holidays))
        if both:
            raise ValueError(f"days both extra workday and holiday: {both}")
        return self


class Policy(PolicyModel):
    """How a hall judges punches (RULES.md "How a punch is judged")."""

    name: str = Field(min_length=1, max_length=64)
    description: str = ""
    timezone: str = Field(default="Asia/Shanghai", description="The zone that decides the day")
    dedup_s: int = Field(default=60, ge=0, le=3600, description="Repeats within are one punch")
    late_grace: int = Field(default=0, ge=0, le=240, description="Minutes")
    early_grace: int = Field(default=0, ge=0, le=240, description="Minutes")
    absent_from_post: bool = Field(
        default=True, description="Late or early past absent_after is 脱岗 (rule ATT-3)"
    )
    absent_after: int = Field(default=60, ge=0, le=720, description="Minutes (rule ATT-3)")
    min_stay: int = Field(
        default=30, ge=1, le=720, description="Two punches of a half-day this far apart pair"
    )
    open_before: int = Field(default=120, ge=0, le=720, description="Minutes")
    close_after: int = Field(default=240, ge=0, le=720, description="Minutes (rule ATT-11)")
    missing_counts_absent: bool = Field(
        default=False, description="One missing punch: half-day absent"
    )
    season: Season = Field(default_factory=Season)
    checkpoints: list[Checkpoint] = Field(min_length=1, max_length=12)
    penalties: Penalties | None = None
    filing: Filing = Field(default_factory=Filing)
    calendar: HallDays = Field(default_factory=HallDays)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _checkpoints(self) -> Policy:
        names = [c.name for c in self.checkpoints]
        if len(set(names)) != len(names):
            raise ValueError(f"checkpoint names repeat: {names}")
        for summer in (True, False):
            label = "summer" if summer else "winter"
            minutes = [_minutes(c.target(summer)) for c in self.checkpoints]
            if any(b <= a for a, b in pairwise(minutes)):
                raise ValueError(f"{label} checkpoint times must increase: {names}")
            if minutes[0] - self.open_before < 0:
                raise ValueError(f"{label}: the first window would open before midnight")
            if minutes[-1] + self.close_after > 24 * 60:
                raise ValueError(f"{label}: the last window would close after midnight")
        halves = [c.half for c in self.checkpoints]
        if halves != sorted(halves):
            raise ValueError("AM checkpoints must come before PM checkpoints")
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The hall's time zone."""
        return ZoneInfo(self.timezone)

    def checkpoint_names(self) -> list[str]:
        """Checkpoint names in the day's order."""
        return [c.name for c in self.checkpoints]


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def preset_names() -> list[str]:
    """Names of the presets shipped with hallkeeper."""
    folder = resources.files("hub.attendance") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """Parse and validate policy TOML; errors name the source and the field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(f"{source}: {explain(exc)}") from None


def load_policy(
    name_or_path: str | Path = DEFAULT_POLICY, *, timezone: str | None = None
) -> Policy:
    """A preset by name, or a hall's TOML file by path; `timezone` overrides the policy's zone."""
    text: str
    source = str(name_or_path)
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"{source}: cannot read: {exc.strerror}") from None
    else:
        if source not in preset_names():
            raise PolicyError(
                f"no attendance policy {source!r}; presets: {', '.join(preset_names())} "
                "(or give the path of a .toml file)"
            )
        text = (resources.files("hub.attendance") / "presets" / f"{source}.toml").read_text(
            encoding="utf-8"
        )
    policy = parse_policy(text, source)
    if timezone is not None:
        try:
            policy = Policy.model_validate({**policy.model_dump(), "timezone": timezone})
        except ValidationError as exc:
            raise PolicyError(f"timezone: {explain(exc)}") from None
    return policy
