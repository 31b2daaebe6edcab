"""Compliance tables: the facts it keeps (marks), seat assignments, covers, and derived records.

Derived rows (away periods, violations, handovers, seat-days) are recomputed per window-day
from the marks; violations and notices keep a stable key so a recompute never repeats an
alert. Timestamps are `UtcDateTime` (hub.dbtypes): bound as UTC, read back aware.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.dbtypes import UtcDateTime


def utc(value: datetime) -> datetime:
    """An aware datetime in UTC, as every compliance row stores it."""
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(UTC)


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UtcDateTime, nullable=nullable)


class ComplianceMark(SQLModel, table=True):
    """One fact on a seat's or window's timeline, copied from an ingested event (idempotent).

    kind: sign, presence, fault (on a seat); demand, service (on a window).
    """

    __tablename__ = "compliance_mark"
    __table_args__ = (sa.Index("ix_compliance_mark_window_day", "hall", "window", "day"),)

    event_id: str = Field(primary_key=True, max_length=64)
    subject: str = Field(primary_key=True, max_length=63, description="Seat, or window")
    hall: str = Field(max_length=63)
    window: str = Field(max_length=63)
    seat: str | None = Field(default=None, max_length=63)
    day: date
    kind: str = Field(max_length=16)
    on: bool = True
    at: datetime = _ts(nullable=False)
    ticket: str | None = Field(default=None, max_length=12)
    device: str = Field(max_length=63)


class SeatAssignment(SQLModel, table=True):
    """Who holds a seat (post), and whether it is the A or the B post (rule POST-7)."""

    __tablename__ = "compliance_assignment"

    hall: str = Field(primary_key=True, max_length=63)
    seat: str = Field(primary_key=True, max_length=63)
    window: str = Field(max_length=63)
    staff_id: str = Field(max_length=64)
    role: str = Field(default="A", max_length=1)


class CoverRow(SQLModel, table=True):
    """A temporary leave with a cover (顶岗) and its approval (rule POST-6)."""

    __tablename__ = "compliance_cover"

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63, index=True)
    seat: str = Field(max_length=63)
    staff_id: str | None = Field(default=None, max_length=64)
    cover_staff_id: str | None = Field(default=None, max_length=64)
    start: datetime = _ts(nullable=False)
    end: datetime = _ts(nullable=False)
    reason: str = Field(default="", max_length=500)
    status: str = Field(
        default="requested", max_length=16, description="requested/approved/refused"
    )
    requested_at: datetime = _ts(nullable=False)
    approved_at: datetime | None = _ts()
    approved_by: str | None = Field(default=None, max_length=64)
    approver_role: str | None = Field(default=None, max_length=16)


class AwayRow(SQLModel, table=True):
    """A derived away period of a seat."""

    __tablename__ = "compliance_away"
    __table_args__ = (sa.Index("ix_compliance_away_window_day", "hall", "window", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63)
    window: str = Field(max_length=63)
    seat: str = Field(max_length=63)
    staff_id: str | None = Field(default=None, max_length=64)
    day: date
    start: datetime = _ts(nullable=False)
    end: datetime | None = _ts()
    in_hours_s: float = 0.0
    unsigned_s: float = 0.0
    cover_id: int | None = None


class ViolationRow(SQLModel, table=True):
    """A derived violation with its evidence; (hall, seat, rule, start) is its stable key."""

    __tablename__ = "compliance_violation"
    __table_args__ = (
        sa.UniqueConstraint("hall", "seat", "rule", "start", name="uq_compliance_violation"),
        sa.Index("ix_compliance_violation_window_day", "hall", "window", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63)
    window: str = Field(max_length=63)
    seat: str = Field(max_length=63)
    staff_id: str | None = Field(default=None, max_length=64)
    day: date
    rule: str = Field(max_length=16)
    start: datetime = _ts(nullable=False)
    end: datetime | None = _ts()
    detail: str = Field(default="", sa_type=sa.Text)
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    first_seen_at: datetime = _ts(nullable=False)


class NoticeRow(SQLModel, table=True):
    """A POST-3/POST-4 notice sent to the neighbour window, the operator and the staff member."""

    __tablename__ = "compliance_notice"
    __table_args__ = (
        sa.UniqueConstraint("hall", "seat", "away_start", name="uq_compliance_notice"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63)
    window: str = Field(max_length=63)
    seat: str = Field(max_length=63)
    staff_id: str | None = Field(default=None, max_length=64)
    day: date
    at: datetime = _ts(nullable=False)
    away_start: datetime = _ts(nullable=False)
    ticket: str | None = Field(default=None, max_length=12)
    neighbour_window: str | None = Field(default=None, max_length=63)
    neighbour_device: str | None = Field(default=None, max_length=63)
    text: str = Field(default="", max_length=200)
    command_id: str | None = Field(default=None, max_length=64)


class HandoverRow(SQLModel, table=True):
    """An A/B post handover (rule POST-7), derived."""

    __tablename__ = "compliance_handover"

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63, index=True)
    window: str = Field(max_length=63)
    day: date
    from_seat: str = Field(max_length=63)
    to_seat: str = Field(max_length=63)
    from_staff: str | None = Field(default=None, max_length=64)
    to_staff: str | None = Field(default=None, max_length=64)
    at: datetime = _ts(nullable=False)


class SeatDayRow(SQLModel, table=True):
    """One seat's day in numbers, derived (for reports)."""

    __tablename__ = "compliance_seat_day"

    hall: str = Field(primary_key=True, max_length=63)
    seat: str = Field(primary_key=True, max_length=63)
    day: date = Field(primary_key=True)
    window: str = Field(max_length=63)
    staff_id: str | None = Field(default=None, max_length=64)
    on_post_s: float = 0.0
    extended_s: float = 0.0
    away_s: float = 0.0
    away_count: int = 0


class AlertRow(SQLModel, table=True):
    """A live alert: raised once when a violation or notice first appears."""

    __tablename__ = "compliance_alert"

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63, index=True)
    rule: str = Field(max_length=16)
    window: str = Field(max_length=63)
    seat: str | None = Field(default=None, max_length=63)
    staff_id: str | None = Field(default=None, max_length=64)
    audience: str = Field(max_length=80, description="operator, staff:<id>, window:<id>")
    text: str = Field(sa_type=sa.Text)
    at: datetime = _ts(nullable=False)
