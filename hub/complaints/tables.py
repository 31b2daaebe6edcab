"""Complaints tables: complaints and their audited steps, call-back tasks, alerts, settings.

Contacts (a name, a phone number) are stored only sealed with the hall's contact key
(models/contact.py) and erased once the answer is told or the call made (PRIV-1). A public
complaint's status link carries a random token, kept here only as its SHA-256.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.dbtypes import UtcDateTime


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UtcDateTime, nullable=nullable)


class ComplaintRow(SQLModel, table=True):
    """A complaint (投诉) taken at any time, investigated and answered (DUTY-6)."""

    __tablename__ = "complaint"
    __table_args__ = (
        sa.UniqueConstraint("hall", "ref", name="uq_complaint_ref"),
        sa.Index("ix_complaint_hall_received", "hall", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63)
    ref: str = Field(max_length=24, description="The reference told to the complainant")
    channel: str = Field(max_length=16, description="in_person, phone, message, box, public_page")
    received_at: datetime | None = _ts(nullable=False)
    taken_by: str | None = Field(default=None, max_length=64, description="The operator")
    subject: str = Field(max_length=100)
    text: str = Field(max_length=2000)
    happened_at: datetime | None = _ts()
    window: str | None = Field(default=None, max_length=63)
    staff_id: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, max_length=200, description="Sealed (PRIV-1)")
    contact: str | None = Field(default=None, max_length=200, description="Sealed (PRIV-1)")
    contact_erased_at: datetime | None = _ts()
    status_token: str | None = Field(default=None, max_length=64, description="SHA-256 hex")
    state: str = Field(default="open", max_length=16)
    assignee: str | None = Field(default=None, max_length=64)
    acknowledge_due: datetime | None = _ts(nullable=False)
    answer_due: datetime | None = _ts(nullable=False)
    assigned_at: datetime | None = _ts()
    investigating_at: datetime | None = _ts()
    finding: str | None = Field(default=None, max_length=16)
    answer: str = Field(default="", max_length=2000)
    told_how: str | None = Field(default=None, max_length=16)
    answered_at: datetime | None = _ts()
    closed_at: datetime | None = _ts()


class ComplaintLogRow(SQLModel, table=True):
    """One audited step of a complaint: who, when, what, a note."""

    __tablename__ = "complaint_log"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(index=True)
    at: datetime | None = _ts(nullable=False)
    action: str = Field(max_length=16)
    actor: str = Field(max_length=64)
    note: str = Field(default="", max_length=2000)


class CallbackRow(SQLModel, table=True):
    """A citizen whose matter could not be handled now, to be called back (DEV-4, DUTY-6)."""

    __tablename__ = "callback"
    __table_args__ = (sa.Index("ix_callback_hall_state", "hall", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63)
    source: str = Field(max_length=63, description="The kiosk (device id) or the desk")
    service: str | None = Field(default=None, max_length=32)
    note: str = Field(default="", max_length=300)
    contact: str | None = Field(default=None, max_length=200, description="Sealed (PRIV-1)")
    state: str = Field(default="open", max_length=16, description="open, done")
    opened_at: datetime | None = _ts(nullable=False)
    due_at: datetime | None = _ts(nullable=False)
    attempts: int = Field(default=0)
    result: str | None = Field(default=None, max_length=16)
    outcome: str = Field(default="", max_length=500)
    done_at: datetime | None = _ts()
    done_by: str | None = Field(default=None, max_length=64)
    contact_erased_at: datetime | None = _ts()


class ComplaintAlertRow(SQLModel, table=True):
    """A missed complaint or call-back deadline (DUTY-6, DEV-4), raised once."""

    __tablename__ = "complaint_alert"
    __table_args__ = (sa.UniqueConstraint("hall", "kind", "ref", name="uq_complaint_alert"),)

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63, index=True)
    kind: str = Field(max_length=32)
    rule: str = Field(max_length=16)
    ref: str = Field(max_length=64)
    window: str | None = Field(default=None, max_length=63)
    text: str = Field(default="", max_length=500)
    at: datetime | None = _ts(nullable=False)


class ComplaintSettingsRow(SQLModel, table=True):
    """A hall's complaint settings (defaults in hub.complaints.rules.ComplaintSettings)."""

    __tablename__ = "complaint_settings"

    hall: str = Field(primary_key=True, max_length=63)
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    updated_at: datetime | None = _ts()
