"""Attendance tables: punches (from events), leave, corrections, substitutes, months, audit, days.

The roster (unit, window, active) is the staff area's `staff` table (hub.staff.tables).

Timestamps are `UtcDateTime` (hub.dbtypes): stored and bound as UTC, read back aware UTC,
naive values refused, so a hall-local bound counts the hall's day on SQLite too.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.dbtypes import UtcDateTime


def _ts(*, nullable: bool = False, index: bool = False) -> sa.Column[datetime]:
    return sa.Column(UtcDateTime, nullable=nullable, index=index)


class AttPunch(SQLModel, table=True):
    """A punch fact (rule ATT-1): device time, from a punch event or an import."""

    __tablename__ = "att_punch"
    __table_args__ = (sa.Index("ix_att_punch_staff_at", "staff_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str | None = Field(default=None, max_length=26, unique=True)
    staff_id: str = Field(max_length=64)
    at: datetime = Field(sa_column=_ts())
    hall: str = Field(default="", max_length=63)
    device: str = Field(default="", max_length=63)


class AttLeave(SQLModel, table=True):
    """A leave request and its two approvals (rule ATT-5)."""

    __tablename__ = "att_leave"
    __table_args__ = (sa.Index("ix_att_leave_staff", "staff_id", "start"),)

    id: int | None = Field(default=None, primary_key=True)
    staff_id: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    start: datetime = Field(sa_column=_ts())
    end: datetime = Field(sa_column=_ts())
    reason: str = Field(default="", max_length=500)
    certificate: str = Field(
        default="",
        max_length=128,
        description="Sick leave: the hospital certificate's reference (rule ATT-5, 003)",
    )
    status: str = Field(
        default="pending",
        max_length=16,
        description="pending, dept_approved, approved, refused, revoked",
    )
    extends_id: int | None = Field(default=None, description="The leave this one extends")
    requested_by: str = Field(max_length=64)
    requested_at: datetime = Field(sa_column=_ts())
    dept_by: str | None = Field(default=None, max_length=64)
    dept_at: datetime | None = Field(sa_column=_ts(nullable=True))
    office_by: str | None = Field(default=None, max_length=64)
    office_at: datetime | None = Field(sa_column=_ts(nullable=True))


class AttCorrection(SQLModel, table=True):
    """A correction (补卡): filed, reviewed, and once approved counts as a punch (rule ATT-6)."""

    __tablename__ = "att_correction"
    __table_args__ = (sa.Index("ix_att_correction_staff_at", "staff_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    staff_id: str = Field(max_length=64)
    checkpoint: str | None = Field(default=None, max_length=16)
    at: datetime = Field(sa_column=_ts())
    reason: str = Field(max_length=500)
    approver: str = Field(max_length=64, description="Who approved it (empty until reviewed)")
    entered_by: str = Field(max_length=64, description="Who filed it")
    entered_at: datetime = Field(sa_column=_ts())
    revoked: bool = Field(default=False)
    status: str = Field(
        default="approved",
        max_length=16,
        sa_column_kwargs={"server_default": "approved"},
        description="pending, approved, refused, revoked; only approved counts",
    )
    reviewed_at: datetime | None = Field(sa_column=_ts(nullable=True))


class AttSubstitute(SQLModel, table=True):
    """A substitute (替岗) on post at a window while a staff member is on leave (rule ATT-7)."""

    __tablename__ = "att_substitute"
    __table_args__ = (sa.Index("ix_att_substitute_hall_window", "hall", "window"),)

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(
        max_length=63,
        description="The hall of the window (two halls may both have a window w02)",
    )
    window: str = Field(max_length=63)
    staff_id: str = Field(max_length=64, description="Who is on leave")
    substitute_id: str = Field(max_length=64)
    start: datetime = Field(sa_column=_ts())
    end: datetime = Field(sa_column=_ts())
    leave_id: int | None = Field(default=None)
    sent_by_unit: bool = Field(default=False, description="Sent by the staff member's own unit")
    filed_at: datetime | None = Field(
        sa_column=_ts(nullable=True), description="Filed with 督查考核科 (unit substitutes)"
    )
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=_ts())


class AttMonth(SQLModel, table=True):
    """A month's state: closed months are frozen (rule ATT-8)."""

    __tablename__ = "att_month"

    month: str = Field(primary_key=True, max_length=7, description="YYYY-MM")
    closed: bool = Field(default=False)
    changed_by: str = Field(max_length=64)
    changed_at: datetime = Field(sa_column=_ts())


class AttAudit(SQLModel, table=True):
    """Who changed what, when and why: every attendance change."""

    __tablename__ = "att_audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_ts(index=True))
    actor: str = Field(max_length=64)
    action: str = Field(max_length=32)
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    detail: str = Field(default="{}", sa_type=sa.Text, description="What changed, as JSON")
    why: str = Field(default="", max_length=500)


class AttDay(SQLModel, table=True):
    """A judged checkpoint of a staff member's workday: derived, recomputable from the facts."""

    __tablename__ = "att_day"
    __table_args__ = (sa.Index("ix_att_day_day", "day"),)

    staff_id: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    checkpoint: str = Field(primary_key=True, max_length=16)
    seq: int = Field(default=0, description="Order of the checkpoint in the day")
    status: str = Field(max_length=16)
    minutes: int = Field(default=0)
    punch_at: datetime | None = Field(sa_column=_ts(nullable=True))
    corrected: bool = Field(default=False)
    leave_kind: str | None = Field(default=None, max_length=16)
    rule: str = Field(default="", max_length=8)
    early_punch: bool = Field(
        default=False,
        sa_column_kwargs={"server_default": sa.false()},
        description="A punch before this checkpoint's window opened (rule ATT-4)",
    )


class AttPay(SQLModel, table=True):
    """A staff member's daily wage: what a day of absence costs (rule ATT-9, 当日工资)."""

    __tablename__ = "att_pay"

    staff_id: str = Field(primary_key=True, max_length=64)
    daily_wage_fen: int = Field(ge=0, description="The day's pay in fen (0.01 yuan)")
    changed_by: str = Field(max_length=64)
    changed_at: datetime = Field(sa_column=_ts())
