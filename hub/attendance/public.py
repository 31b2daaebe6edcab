"""What the attendance API returns (Public models, apart from the tables; hub.api.public).

Moments keep the form each route always sent: a leave's and a substitute's times as pydantic
writes them (UTC as `Z`), a correction's and a judged day's as `isoformat()` (`+00:00`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, create_model

from hub.api.public import IsoDate, IsoDatetime, Public
from hub.attendance.facts import LeaveKind
from hub.attendance.reports import NUMBERS


class LeavePublic(Public):
    """A leave request and its two approvals (rule ATT-5)."""

    id: int
    staff_id: str
    kind: str
    start: datetime
    end: datetime
    reason: str
    certificate: str = Field(description="Sick leave: the hospital certificate's reference")
    status: str = Field(description="pending / approved / refused / revoked")
    extends_id: int | None = Field(description="The leave this one extends")
    requested_by: str
    requested_at: datetime
    dept_by: str | None = Field(description="Who decided the department stage")
    dept_at: datetime | None
    office_by: str | None = Field(description="Who decided the office (督查考核科) stage")
    office_at: datetime | None


class CorrectionPublic(Public):
    """A correction (补卡): filed, reviewed, and once approved counted as a punch (ATT-6)."""

    id: int
    staff_id: str
    checkpoint: str | None
    at: IsoDatetime
    reason: str
    approver: str = Field(description="Who approved it (empty until reviewed)")
    entered_by: str = Field(description="Who filed it")
    entered_at: IsoDatetime
    revoked: bool
    status: str = Field(description="pending / approved / refused / revoked")
    reviewed_at: IsoDatetime | None


class WagePublic(Public):
    """A staff member's daily wage as set (rule ATT-9, 当日工资)."""

    staff_id: str
    daily_wage_yuan: float


class SubstituteCreated(Public):
    """A substitute on post as recorded (rule ATT-7)."""

    id: int
    hall: str = Field(description="The hall of the window (its staff member's)")
    window: str
    staff_id: str = Field(description="Who is on leave")
    substitute_id: str
    start: datetime
    end: datetime
    leave_id: int | None
    sent_by_unit: bool
    filed_at: datetime | None
    why: str


class SubstitutePublic(Public):
    """A substitute on post (rule ATT-7)."""

    id: int
    hall: str = Field(description="The hall of the window (its staff member's)")
    window: str
    staff_id: str = Field(description="Who is on leave")
    substitute_id: str
    start: datetime
    end: datetime
    leave_id: int | None
    sent_by_unit: bool = Field(description="Sent by the staff member's own unit")
    filed_at: datetime | None
    created_by: str
    created_at: datetime


class MonthPublic(Public):
    """Whether a month is closed (frozen, rule ATT-8)."""

    month: str
    closed: bool


class MonthChanged(MonthPublic):
    """A month closed or reopened, and how many judged rows that froze or released."""

    days: int


class DayRowPublic(Public):
    """A judged checkpoint of a staff member's workday."""

    staff_id: str
    day: IsoDate
    checkpoint: str
    seq: int = Field(description="Order of the checkpoint in the day")
    status: str
    minutes: int
    punch_at: IsoDatetime | None
    corrected: bool
    leave_kind: str | None
    rule: str
    early_punch: bool = Field(description="A punch before the window opened (rule ATT-4)")


class SpanPublic(Public):
    """A span of the day, in the hall's local time (HH:MM)."""

    opens: str
    closes: str
    gap_from: str | None = Field(
        default=None, description="Punches from here on count as early punches (ATT-4)"
    )


class SettingPublic(Public):
    """A policy setting that decided a verdict, with its value."""

    setting: str
    value: Any


class LeaveRefPublic(Public):
    """The leave that covered a checkpoint."""

    ref: str
    kind: str
    start: str = Field(description="In the hall's zone, isoformat")
    end: str


class CorrectionRefPublic(Public):
    """The approved correction counted at a checkpoint."""

    ref: str
    at: str = Field(description="HH:MM:SS in the hall's zone")
    approver: str
    reason: str


class CheckpointWhyPublic(Public):
    """Why one checkpoint got its verdict: punches, window, deadline, rule and setting."""

    checkpoint: str
    kind: str = Field(description="arrive / leave")
    status: str
    minutes: int
    rule: str
    target: str
    deadline: str | None = Field(default=None, description="Arrivals: the last minute on time")
    stop_time: str | None = Field(default=None, description="Departures: the first minute on time")
    window: SpanPublic
    half_day: SpanPublic | None
    min_stay: int | None
    how: str
    punches: list[str]
    merged: list[str]
    counted: str | None
    decided_by: list[SettingPublic]
    leave: LeaveRefPublic | None
    correction: CorrectionRefPublic | None
    early_punches: list[str]
    due_at: str | None


class StoredVerdictPublic(Public):
    """A closed month's stored verdict of a checkpoint."""

    checkpoint: str
    status: str


class DayWhyPublic(Public):
    """A staff member's day and why each checkpoint got its verdict."""

    staff_id: str
    day: IsoDate
    policy: str
    frozen: bool = Field(description="The month is closed: the stored verdicts stand")
    checkpoints: list[CheckpointWhyPublic]
    stray: list[str] = Field(description="Punches no checkpoint took (HH:MM:SS)")
    stored: list[StoredVerdictPublic] | None = Field(
        default=None, description="In a closed month: the stored verdicts"
    )


class PenaltyLinePublic(Public):
    """One line of a month's money penalties: what, how many, at what price, per which rule."""

    item: str
    rule: str
    setting: str
    count: int
    yuan_each: int
    yuan: int
    days_pay: int


_ROW_FIELDS: dict[str, Any] = {
    "staff_id": (str, Field(description="The staff member, or the window or unit summed")),
    "name": (str, ...),
    "unit": (str, ...),
    "window": (str, ...),
    "hall": (str, Field(description="The hall whose window it is (rule ATT-8)")),
    **{name: (int, ...) for name in ("staff", *NUMBERS)},
    "daily_wage_yuan": (float | None, ...),
    "days_pay_yuan": (float | None, ...),
    **{f"leave_{kind.value}": (int, ...) for kind in LeaveKind},
    "leave_by_kind": (dict[str, int], ...),
    "penalties": (list[PenaltyLinePublic], ...),
}
ReportRowPublic = create_model(  # one leave_<kind> column per LeaveKind
    "ReportRowPublic",
    __base__=Public,
    __doc__="A staff member's month, or a window's or unit's sum of them (ATT-8, ATT-9).",
    **_ROW_FIELDS,
)


class MonthReportPublic(Public):
    """The month report to date, per staff member, window or unit (rules ATT-8, ATT-9)."""

    month: str
    hall: str = Field(description="The hall whose staff and windows it holds (rule ATT-8)")
    policy: str
    closed: bool
    to_date: IsoDate | None = Field(description="The last day judged while the month runs")
    rows: list[ReportRowPublic]


class DayListCheckpoint(Public):
    """One checkpoint on the duty chief's day list."""

    checkpoint: str
    status: str
    minutes: int
    time: str | None = Field(description="The counted punch, HH:MM in the hall's zone")
    corrected: bool
    leave_kind: str | None
    rule: str
    early_punch: bool


class DayListPublic(Public):
    """A staff member's checkpoints on the duty chief's (值班长) list of one day."""

    staff_id: str
    name: str
    unit: str
    window: str
    day: IsoDate
    checkpoints: list[DayListCheckpoint]


class AttendanceAuditPublic(Public):
    """Who changed what in attendance, when and why."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any] = Field(description="What changed")
    why: str
