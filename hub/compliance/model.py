"""The compliance engine's values: policy, timeline marks, inputs and results (pure, frozen)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class CompliancePolicy:
    """Thresholds of the on-post rules (defaults: the digest in RULES.md)."""

    short_leave_max_s: float = 600  # rule POST-1: at most 10 minutes
    long_leave_after_s: float = 1800  # longer than this is a long leave (rule POST-6)
    sign_grace_s: float = 60  # rule POST-2: away without the sign longer than this
    both_away_grace_s: float = 60  # rule POST-5: two of one window away longer than this
    cover_slack_s: float = 300  # a cover may start/end this much off the away period
    duty_chief_max_s: float = 7200  # rule POST-6: the duty chief signs up to 2 hours
    evidence_margin_s: float = 120  # evidence slice reaches this far around the period


@dataclass(frozen=True, slots=True)
class Mark:
    """One point on a seat's timeline: kind is sign, presence or fault; on is its new value."""

    at: datetime
    kind: str
    on: bool


@dataclass(frozen=True)
class SeatDay:
    """One seat's facts for one day."""

    seat: str
    staff_id: str | None = None
    role: str = "A"
    marks: Sequence[Mark] = ()


@dataclass(frozen=True)
class WindowDay:
    """One window's seats for one day; `extended_until` is the end of extended service."""

    window: str
    seats: Sequence[SeatDay]
    extended_until: datetime | None = None


@dataclass(frozen=True)
class Cover:
    """A temporary leave with someone covering (顶岗), and its approval (rule POST-6)."""

    seat: str
    start: datetime
    end: datetime
    staff_id: str | None = None
    cover_staff_id: str | None = None
    approved_at: datetime | None = None
    approver_role: str = "duty_chief"
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Demand:
    """A citizen waiting for, or called to, a window (queue facts)."""

    window: str
    at: datetime
    kind: str = "called"
    ticket: str | None = None


@dataclass(frozen=True)
class AwayPeriod:
    """A seat without its staff member; `end` None while still away."""

    seat: str
    window: str
    staff_id: str | None
    start: datetime
    end: datetime | None
    in_hours_s: float
    unsigned_s: float
    cover: Cover | None = None

    @property
    def covered(self) -> bool:
        """A valid approved cover is on post."""
        return self.cover is not None


@dataclass(frozen=True)
class Violation:
    """One broken rule, with the evidence that shows it."""

    rule: str
    seat: str
    window: str
    staff_id: str | None
    start: datetime
    end: datetime | None
    detail: str
    evidence: tuple[Mark, ...] = ()
    values: tuple[tuple[str, object], ...] = ()
    """The numbers of `detail` by name, for the catalogue's words (`violation.<rule>`)."""


@dataclass(frozen=True)
class Notice:
    """Tell the neighbour window, the operator and the absent staff member (POST-3, POST-4)."""

    rule: str
    window: str
    seat: str
    staff_id: str | None
    at: datetime
    away_start: datetime
    ticket: str | None


@dataclass(frozen=True)
class Handover:
    """An A/B post handover (rule POST-7)."""

    window: str
    from_seat: str
    to_seat: str
    from_staff: str | None
    to_staff: str | None
    at: datetime


@dataclass
class DayResult:
    """Everything one window-day produced."""

    away: list[AwayPeriod] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    handovers: list[Handover] = field(default_factory=list)
    on_post_s: dict[str, float] = field(default_factory=dict)
    extended_s: dict[str, float] = field(default_factory=dict)
