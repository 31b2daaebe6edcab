"""What the compliance API returns (Public models, apart from the tables)."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from hub.api.public import IsoDate, Public


class SeatAssignmentPublic(Public):
    """Who holds a seat, and its A/B role (POST-7)."""

    hall: str
    seat: str
    window: str
    staff_id: str
    role: str


class CoverPublic(Public):
    """A temporary leave with a cover, asked for and decided (POST-6)."""

    id: int
    hall: str
    seat: str
    staff_id: str | None
    cover_staff_id: str | None
    start: datetime
    end: datetime
    reason: str
    status: str
    requested_at: datetime
    approved_at: datetime | None
    approved_by: str | None
    approver_role: str | None


class AwayPublic(Public):
    """An away period of a seat (end null: still away)."""

    id: int
    hall: str
    window: str
    seat: str
    staff_id: str | None
    day: IsoDate
    start: datetime
    end: datetime | None
    in_hours_s: float
    unsigned_s: float
    cover_id: int | None


class EvidencePublic(Public):
    """One mark of the sign and presence timeline a verdict rests on."""

    at: str
    kind: str
    on: bool


class ViolationPublic(Public):
    """A broken rule (POST-1..8), with the evidence that shows it."""

    id: int
    hall: str
    window: str
    seat: str
    staff_id: str | None
    day: IsoDate
    rule: str
    start: datetime
    end: datetime | None
    detail: str
    evidence: list[EvidencePublic]
    first_seen_at: datetime


class NoticePublic(Public):
    """A notice to a neighbour window while a seat is away and citizens wait (POST-3, POST-4)."""

    id: int
    hall: str
    window: str
    seat: str
    staff_id: str | None
    day: IsoDate
    at: datetime
    away_start: datetime
    ticket: str | None
    neighbour_window: str | None
    neighbour_device: str | None
    text: str
    command_id: str | None


class HandoverPublic(Public):
    """An A/B handover at a window (POST-7)."""

    id: int
    hall: str
    window: str
    day: IsoDate
    from_seat: str
    to_seat: str
    from_staff: str | None
    to_staff: str | None
    at: datetime


class ComplianceAlertPublic(Public):
    """A live compliance alert and who it is for."""

    id: int
    hall: str
    rule: str
    window: str
    seat: str | None
    staff_id: str | None
    audience: str
    text: str
    at: datetime


class ReportLinePublic(Public):
    """One staff member's (or window's) compliance over the report's days; one count per rule."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    key: str
    days: int
    on_post_min: float
    extended_min: float
    away_count: int
    away_min: float
    notices: int
    violations_total: int
    post_1: int = Field(alias="POST-1")
    post_2: int = Field(alias="POST-2")
    post_5: int = Field(alias="POST-5")
    post_6: int = Field(alias="POST-6")


class CompliancePublicReport(Public):
    """A day's or a month's compliance per staff member or window."""

    hall: str
    start: IsoDate
    end: IsoDate
    by: str
    lines: list[ReportLinePublic]


class RecomputedPublic(Public):
    """A day re-judged from the stored facts: violations per window."""

    day: IsoDate
    violations: dict[str, int]
