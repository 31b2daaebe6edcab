"""Duty tables: roster versions and entries, overtime, the duty chief's rotation, stand-ins and
log, duty checks, opening-check acknowledgements, leaders' sittings, inspections, assessments,
the hall's duty policy, and the live holder of each seat with the pushes to its rating device.

Alembic branch `duty` (hub/migrations/versions/duty_*.py). Times are UTC (`UtcDateTime`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.dbtypes import UtcDateTime


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UtcDateTime, nullable=nullable)


class RosterVersion(SQLModel, table=True):
    """One filing of a month's roster (rule DUTY-1); the highest version is in force."""

    __tablename__ = "duty_roster_version"
    __table_args__ = (sa.UniqueConstraint("hall", "month", "version", name="uq_duty_roster_ver"),)

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63)
    month: str = Field(max_length=7)
    version: int
    filed_at: datetime = _ts(nullable=False)
    filed_by: str = Field(max_length=64)
    source: str = Field(default="edit", max_length=16, description="import / edit / demo")
    filename: str = Field(default="", max_length=200)
    why: str = Field(default="", max_length=500)
    late: bool = Field(default=False, description="Filed after the deadline (DUTY-1)")
    entries: int = 0


class RosterEntryRow(SQLModel, table=True):
    """One rostered staff-day of a version."""

    __tablename__ = "duty_roster_entry"
    __table_args__ = (sa.Index("ix_duty_roster_entry_day", "hall", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="duty_roster_version.id", index=True)
    hall: str = Field(max_length=63)
    day: date
    window: str = Field(max_length=63)
    seat: str | None = Field(default=None, max_length=63)
    staff_id: str = Field(max_length=64)
    role: str = Field(max_length=8)
    holiday: bool = False


class OvertimeRow(SQLModel, table=True):
    """Holiday duty by appointment, recorded as overtime (加班) for approval (ATT-10, 002)."""

    __tablename__ = "duty_overtime"
    __table_args__ = (sa.UniqueConstraint("hall", "staff_id", "day", name="uq_duty_overtime"),)

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63)
    staff_id: str = Field(max_length=64)
    day: date
    window: str = Field(max_length=63)
    status: str = Field(default="pending", max_length=16, description="pending/approved/refused")
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = _ts()
    note: str = Field(default="", max_length=500)
    created_at: datetime = _ts(nullable=False)


class RotationRow(SQLModel, table=True):
    """The centre's order of duty chiefs from an anchor day on (rule DUTY-2)."""

    __tablename__ = "duty_rotation"

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63, index=True)
    anchor: date
    term_days: int = 14
    order: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    set_at: datetime = _ts(nullable=False)
    set_by: str = Field(max_length=64)


class ChiefStandInRow(SQLModel, table=True):
    """A stand-in for the duty chief's leave, approved by the head duty chief (rule DUTY-2)."""

    __tablename__ = "duty_chief_standin"

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63, index=True)
    chief: str = Field(max_length=64)
    staff_id: str = Field(max_length=64)
    start: date
    end: date
    approved_by: str = Field(max_length=64)
    reason: str = Field(default="", max_length=500)
    created_at: datetime = _ts(nullable=False)


class DutyLogRow(SQLModel, table=True):
    """An entry of the duty chief's log (值班长日志, rule DUTY-2), with points (加分/扣分)."""

    __tablename__ = "duty_log"
    __table_args__ = (sa.Index("ix_duty_log_day", "hall", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63)
    day: date
    at: datetime = _ts(nullable=False)
    author: str = Field(max_length=64, description="The operator who wrote it")
    chief: str | None = Field(default=None, max_length=64, description="Duty chief that day")
    kind: str = Field(default="note", max_length=16, description="note/incident/handover/points")
    text: str = Field(sa_type=sa.Text)
    staff_id: str | None = Field(default=None, max_length=64, description="Whom points go to")
    window: str | None = Field(default=None, max_length=63)
    points: float = 0


class DutyCheckRow(SQLModel, table=True):
    """One random duty check of the day (rule POST-8), planned each morning."""

    __tablename__ = "duty_check"
    __table_args__ = (sa.UniqueConstraint("hall", "day", "slot", name="uq_duty_check_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63)
    day: date
    slot: int
    planned_at: datetime = _ts(nullable=False)
    performed_at: datetime | None = _ts()
    checked_by: str | None = Field(default=None, max_length=64)
    chief: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=1000)
    overdue_alerted_at: datetime | None = _ts()


class DutyCheckItemRow(SQLModel, table=True):
    """One seat of a duty check: the ledger's holder, the sensors, and the checklist."""

    __tablename__ = "duty_check_item"

    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="duty_check.id", index=True)
    seat: str = Field(max_length=63)
    window: str = Field(max_length=63)
    staff_id: str | None = Field(default=None, max_length=64)
    basis: str = Field(default="", max_length=16)
    sensed_on_post: bool | None = None
    on_post: bool | None = None
    badge: bool | None = None
    sign: bool | None = None
    desk: bool | None = None
    note: str = Field(default="", max_length=500)


class OpeningAckRow(SQLModel, table=True):
    """The duty chief's acknowledgement of the day's opening check (rule DEV-1)."""

    __tablename__ = "duty_opening_ack"

    hall: str = Field(primary_key=True, max_length=63)
    day: date = Field(primary_key=True)
    due_at: datetime = _ts(nullable=False)
    acknowledged_at: datetime | None = _ts()
    acknowledged_by: str | None = Field(default=None, max_length=64)
    chief: str | None = Field(default=None, max_length=64)
    problems: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    note: str = Field(default="", max_length=1000)
    alerted_at: datetime | None = _ts()


class LeaderSittingRow(SQLModel, table=True):
    """A leader sitting in at a window (rule DUTY-3): registered ahead, then recorded."""

    __tablename__ = "duty_leader_sitting"
    __table_args__ = (sa.Index("ix_duty_leader_day", "hall", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63)
    leader: str = Field(max_length=64, description="Name")
    leader_staff_id: str | None = Field(default=None, max_length=64)
    unit: str = Field(default="", max_length=128)
    window: str = Field(max_length=63)
    day: date
    registered_at: datetime = _ts(nullable=False)
    registered_by: str = Field(max_length=64)
    late: bool = Field(default=False, description="Registered less than a week ahead")
    sat_at: datetime | None = _ts()
    sat_source: str | None = Field(default=None, max_length=16, description="punch / operator")
    note: str = Field(default="", max_length=500)


class InspectionRow(SQLModel, table=True):
    """A spot check or unannounced visit (rule DUTY-4) and what it found."""

    __tablename__ = "duty_inspection"
    __table_args__ = (sa.Index("ix_duty_inspection_at", "hall", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63)
    at: datetime = _ts(nullable=False)
    kind: str = Field(default="spot", max_length=16, description="spot / unannounced (明察暗访)")
    inspector: str = Field(max_length=64)
    window: str = Field(max_length=63)
    staff_id: str | None = Field(default=None, max_length=64)
    problem: bool = False
    findings: str = Field(default="", sa_type=sa.Text)
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = _ts(nullable=False)


class AssessmentRow(SQLModel, table=True):
    """A month's frozen assessment of a staff member or window (rule DUTY-5)."""

    __tablename__ = "duty_assessment"

    hall: str = Field(primary_key=True, max_length=63)
    month: str = Field(primary_key=True, max_length=7)
    subject_kind: str = Field(primary_key=True, max_length=8, description="staff / window")
    subject: str = Field(primary_key=True, max_length=64)
    total: float
    items: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    frozen_at: datetime = _ts(nullable=False)


class DutyPolicyRow(SQLModel, table=True):
    """A hall's own duty policy (an edited copy of a preset)."""

    __tablename__ = "duty_policy"

    hall: str = Field(primary_key=True, max_length=63)
    policy: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    updated_at: datetime = _ts(nullable=False)
    updated_by: str = Field(max_length=64)


class SeatHolderRow(SQLModel, table=True):
    """Who holds each seat now, as last pushed to its rating device (rule RATE-2)."""

    __tablename__ = "duty_seat_holder"

    hall: str = Field(primary_key=True, max_length=63)
    seat: str = Field(primary_key=True, max_length=63)
    window: str = Field(max_length=63)
    staff_id: str | None = Field(default=None, max_length=64)
    basis: str = Field(max_length=16)
    since: datetime = _ts(nullable=False)
    pushed_at: datetime | None = _ts()
    device: str | None = Field(default=None, max_length=63)
    command_id: str | None = Field(default=None, max_length=64)
