"""Ratings tables: bound ratings, refusals, follow-up tasks and their audit log, alerts, settings.

One rating per service (一次一评) is enforced by a unique key (hall, day, window, ticket).
Timestamps are `UtcDateTime` (hub.dbtypes, as AwareUtc): bound as UTC, read back aware.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.dbtypes import UtcDateTime as AwareUtc


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_type=AwareUtc, nullable=nullable)


class RatingRow(SQLModel, table=True):
    """A rating bound to one service (ticket at a window, one day) and one staff member."""

    __tablename__ = "rating"
    __table_args__ = (
        sa.UniqueConstraint("hall", "day", "window", "ticket", name="uq_rating_service"),
        sa.Index("ix_rating_hall_day", "hall", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=26, unique=True, description="The Rating envelope")
    hall: str = Field(max_length=63)
    day: date
    window: str = Field(max_length=63)
    seat: str | None = Field(default=None, max_length=63)
    device: str = Field(max_length=63)
    ticket: str = Field(max_length=12)
    service: str | None = Field(default=None, max_length=32)
    staff_id: str | None = Field(default=None, max_length=64, description="Bound staff member")
    shown_staff_id: str | None = Field(default=None, max_length=64)
    present_staff_id: str | None = Field(default=None, max_length=64)
    present_source: str | None = Field(default=None, max_length=16, description="punch/assignment")
    mismatch: bool = Field(default=False, description="Shown and present staff differ (RATE-2)")
    level: int | None = Field(default=None, description="5..1 overall; None: not rated")
    attitude: int | None = None
    efficiency: int | None = None
    service_level: int | None = None
    case_no: str | None = Field(default=None, max_length=64, description="办件编号 (RATE-1)")
    reason: str | None = Field(default=None, max_length=32)
    rated_at: datetime | None = _ts(nullable=False)
    recorded_at: datetime | None = _ts(nullable=False)


class RefusalRow(SQLModel, table=True):
    """A rating event that was not bound, with the reason (nothing lost)."""

    __tablename__ = "rating_refusal"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=26, unique=True)
    hall: str = Field(max_length=63, index=True)
    device: str = Field(max_length=63)
    seat: str | None = Field(default=None, max_length=63)
    ticket: str | None = Field(default=None, max_length=12)
    level: int | None = None
    code: str = Field(max_length=32, description="no_service, unknown_service, duplicate...")
    detail: str = Field(default="", max_length=500)
    rated_at: datetime | None = _ts(nullable=False)
    recorded_at: datetime | None = _ts(nullable=False)


class FollowupRow(SQLModel, table=True):
    """The follow-up (回访) of a dissatisfied rating (RATE-3): contact, verification,
    rectification with its deadline, closure with the answer told to the citizen."""

    __tablename__ = "rating_followup"

    id: int | None = Field(default=None, primary_key=True)
    rating_id: int = Field(unique=True)
    hall: str = Field(max_length=63, index=True)
    window: str = Field(max_length=63)
    staff_id: str | None = Field(default=None, max_length=64)
    ticket: str = Field(max_length=12)
    level: int
    reason: str | None = Field(default=None, max_length=32)
    state: str = Field(default="open", max_length=16)
    assignee: str | None = Field(default=None, max_length=64)
    opened_at: datetime | None = _ts(nullable=False)
    contact_due: datetime | None = _ts(nullable=False)
    close_due: datetime | None = _ts(nullable=False)
    assigned_at: datetime | None = _ts()
    contacted_at: datetime | None = _ts()
    closed_at: datetime | None = _ts()
    audited_at: datetime | None = _ts()
    outcome: str = Field(default="", max_length=1000, description="The answer told the citizen")
    contact: str | None = Field(
        default=None, max_length=200, description="The citizen's number, sealed (PRIV-1)"
    )
    contact_erased_at: datetime | None = _ts()
    attempts: int = Field(default=0, description="Contact attempts that did not reach")
    finding: str | None = Field(default=None, max_length=16)
    verified_at: datetime | None = _ts()
    rectify_plan: str = Field(default="", max_length=1000)
    rectify_due: datetime | None = _ts()
    rectifying_at: datetime | None = _ts()
    rectified_at: datetime | None = _ts()
    told_how: str | None = Field(default=None, max_length=16)


class FollowupLogRow(SQLModel, table=True):
    """One audited step of a follow-up: who did what, when, with a note."""

    __tablename__ = "rating_followup_log"

    id: int | None = Field(default=None, primary_key=True)
    followup_id: int = Field(index=True)
    at: datetime | None = _ts(nullable=False)
    action: str = Field(max_length=16)
    actor: str = Field(max_length=64)
    note: str = Field(default="", max_length=1000)


class RatingAlertRow(SQLModel, table=True):
    """A ratings alert (RATE-2 staff mismatch, RATE-3 overdue follow-up), raised once each."""

    __tablename__ = "rating_alert"
    __table_args__ = (sa.UniqueConstraint("hall", "kind", "ref", name="uq_rating_alert"),)

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63, index=True)
    kind: str = Field(max_length=32, description="staff_mismatch, contact_overdue, ...")
    rule: str = Field(max_length=16)
    ref: str = Field(max_length=64, description="rating:<id> or followup:<id>")
    window: str | None = Field(default=None, max_length=63)
    staff_id: str | None = Field(default=None, max_length=64)
    text: str = Field(default="", max_length=500)
    at: datetime | None = _ts(nullable=False)


class RatingSettingsRow(SQLModel, table=True):
    """A hall's ratings settings (defaults in hub.ratings.scheme.RatingSettings)."""

    __tablename__ = "rating_settings"

    hall: str = Field(primary_key=True, max_length=63)
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    updated_at: datetime | None = _ts()
