"""Staff tables: staff, face_template, the hall galleries and what each terminal holds."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.dbtypes import UtcDateTime as AwareUtc


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_type=AwareUtc, nullable=nullable)


class Staff(SQLModel, table=True):
    """A staff member (工作人员) of a hall."""

    __tablename__ = "staff"

    staff_id: str = Field(primary_key=True, max_length=64)
    hall: str = Field(max_length=63, index=True)
    name: str = Field(max_length=64)
    unit: str = Field(default="", max_length=128, description="Sending unit (派驻单位)")
    window: str | None = Field(default=None, max_length=63)
    active: bool = Field(default=True)
    created_at: datetime = _ts()
    start_date: date | None = Field(
        default=None, description="First day with the hall (default: the day added); ATT judging"
    )
    leave_date: date | None = Field(
        default=None, description="Last day with the hall; later days are not judged"
    )


class FaceTemplate(SQLModel, table=True):
    """One face template of a staff member, encrypted with the hub key (PRIV-1)."""

    __tablename__ = "face_template"

    id: int | None = Field(default=None, primary_key=True)
    staff_id: str = Field(
        sa_column=sa.Column(
            sa.String(64),
            sa.ForeignKey("staff.staff_id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    template: bytes = Field(
        sa_type=sa.LargeBinary, description="Fernet token of 128 floats, under the person key"
    )
    photo: bytes | None = Field(
        default=None,
        sa_type=sa.LargeBinary,
        description="Encrypted enrollment photo, only when the operator keeps photos (PRIV-1)",
    )
    created_at: datetime = _ts()


class FaceGallery(SQLModel, table=True):
    """The current gallery version of a hall (older versions are not kept: PRIV-1)."""

    __tablename__ = "face_gallery"

    hall: str = Field(primary_key=True, max_length=63)
    version: int = Field(ge=0)
    checksum: str = Field(max_length=128)
    count: int = Field(ge=0)
    blob: str = Field(sa_type=sa.Text, description="Fernet token under the hall key")
    built_at: datetime = _ts()


class TerminalGallery(SQLModel, table=True):
    """The gallery version a face terminal reported holding (GalleryHeld)."""

    __tablename__ = "terminal_gallery"

    hall: str = Field(primary_key=True, max_length=63)
    device: str = Field(primary_key=True, max_length=63)
    version: int
    checksum: str = Field(max_length=128)
    count: int
    reported_at: datetime = _ts()


class TemplateErasure(SQLModel, table=True):
    """An erasure asked of one terminal for one staff member, its retries and confirmation.

    Only a TemplateErased carrying this row's `erasure_id` confirms it (rule PRIV-1)."""

    __tablename__ = "template_erasure"

    hall: str = Field(primary_key=True, max_length=63)
    device: str = Field(primary_key=True, max_length=63)
    staff_id: str = Field(primary_key=True, max_length=64)
    gallery_version: int
    requested_at: datetime = _ts()
    confirmed_at: datetime | None = _ts(nullable=True)
    erasure_id: str = Field(default="", max_length=64, description="Names this request")
    attempts: int = Field(default=0, description="How many times it was sent")
    last_sent_at: datetime | None = _ts(nullable=True)
    next_try_at: datetime | None = _ts(nullable=True)


class EnrollmentRequest(SQLModel, table=True):
    """A one-time enrollment at a terminal: the token's hash, who, where, until when, outcome."""

    __tablename__ = "enrollment_request"

    enrollment_id: str = Field(primary_key=True, max_length=64)
    token_hash: str = Field(max_length=64, index=True, description="sha256 of the token")
    staff_id: str = Field(max_length=64)
    name: str = Field(max_length=64)
    hall: str = Field(max_length=63)
    device: str = Field(max_length=63)
    unit: str = Field(default="", max_length=128)
    window: str | None = Field(default=None, max_length=63)
    requested_at: datetime = _ts()
    expires_at: datetime = _ts()
    status: str = Field(default="pending", max_length=16, description="pending, done, failed")
    detail: str = Field(default="", max_length=500)
    finished_at: datetime | None = _ts(nullable=True)
