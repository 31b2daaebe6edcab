"""What the duty API returns for the month: leaders' sittings (DUTY-3), inspections (DUTY-4),
the assessment (DUTY-5), the duty policy and the weekly report (Public models, hub.api.public).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from hub.api.public import Public
from hub.duty.policy import DutyPolicy


class SittingPublic(Public):
    """A leader sitting in at a window (DUTY-3): registered ahead, then recorded."""

    id: int
    hall: str
    leader: str
    leader_staff_id: str | None
    unit: str
    window: str
    day: date
    registered_at: datetime
    registered_by: str
    late: bool = Field(description="Registered less than a week ahead")
    sat_at: datetime | None = None
    sat_source: str | None = Field(default=None, description="punch / operator")
    note: str


class SittingWeekPublic(Public):
    """A week's sittings that took place, and whether the minimum was met (DUTY-3)."""

    week: date
    end: date
    sat: int
    met: bool


class SittingsPublic(Public):
    """The month's sittings and, per week, whether it had its sittings."""

    month: str
    sittings: list[SittingPublic]
    weeks: list[SittingWeekPublic]


class InspectionPublic(Public):
    """A spot check or unannounced visit (DUTY-4) and what it found."""

    id: int
    hall: str
    at: datetime
    kind: str = Field(description="spot / unannounced (明察暗访)")
    inspector: str
    window: str
    staff_id: str | None
    problem: bool
    findings: str
    recorded_by: str
    recorded_at: datetime


class InspectionsPublic(Public):
    """The month's inspections."""

    month: str
    inspections: list[InspectionPublic]


class AssessmentItemPublic(Public):
    """One item of an assessment: what, how many, each worth, the points, the rule."""

    key: str
    count: int | float
    each: float
    points: float
    rule: str


class AssessmentPublic(Public):
    """A staff member's or window's month, ranked (DUTY-5)."""

    rank: int
    subject_kind: str = Field(description="staff / window")
    subject: str
    base: float
    total: float
    items: list[AssessmentItemPublic]


class StaffAssessmentPublic(AssessmentPublic):
    """A staff member's month, ranked, with the name."""

    name: str


class AssessmentsPublic(Public):
    """The month's assessment per staff member and window; frozen once the month is closed."""

    month: str
    frozen: bool
    staff: list[StaffAssessmentPublic]
    windows: list[AssessmentPublic]


class PolicyPublic(Public):
    """The hall's duty policy (points included)."""

    policy: DutyPolicy


class PolicyChoicePublic(PolicyPublic):
    """The hall's duty policy and the presets it may start from."""

    presets: list[str]


class WeekDayPublic(Public):
    """One day of the weekly report."""

    day: date
    chief: str | None
    acknowledged_at: datetime | None
    checks: int
    checks_done: int
    handovers: int
    flags: dict[str, int] = Field(description="Ledger flags by kind")
    violations: dict[str, int] = Field(description="Violations by rule")


class WeekTermPublic(Public):
    """A duty chief's term touching the week."""

    staff_id: str
    start: date
    end: date


class WeeklyPublic(Public):
    """The duty chief's weekly written report as data."""

    monday: date
    sunday: date
    terms: list[WeekTermPublic]
    handover_done: bool | None = Field(description="A term ends this week: was it handed over")
    days: list[WeekDayPublic]
    sittings: int
    inspections: int
    log: int
