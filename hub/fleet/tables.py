"""Fleet tables: device registry, device health, alerts, config versions, opening checks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.dbtypes import UtcDateTime


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UtcDateTime, nullable=nullable)


class FleetDevice(SQLModel, table=True):
    """A device of a hall, as the layout names it (or first seen on the wire)."""

    __tablename__ = "device"

    hall: str = Field(primary_key=True, max_length=63)
    device: str = Field(primary_key=True, max_length=63)
    kind: str | None = Field(default=None, max_length=32)
    node: str | None = Field(default=None, max_length=63)
    window: str | None = Field(default=None, max_length=63)
    seat: str | None = Field(default=None, max_length=63)
    in_layout: bool = Field(default=False, description="False: seen on the wire, not in layout")
    registered_at: datetime | None = _ts()


class DeviceHealth(SQLModel, table=True):
    """The latest health of one device (one row per device)."""

    __tablename__ = "device_health"

    hall: str = Field(primary_key=True, max_length=63)
    device: str = Field(primary_key=True, max_length=63)
    online: bool | None = None
    state_at: datetime | None = _ts()
    last_seen: datetime | None = _ts()
    heartbeat_at: datetime | None = _ts()
    uptime_s: float | None = None
    agent_version: str | None = Field(default=None, max_length=32)
    contract_version: int | None = None
    config_version: int | None = Field(default=None, description="Version the heartbeat reports")
    outbox_depth: int | None = None
    outbox_capacity: int | None = None
    clock_offset_ms: float | None = None
    observed_skew_ms: float | None = None
    clock_synced: bool | None = None
    cpu_temp_c: float | None = None
    driver_status: str | None = Field(default=None, max_length=64)
    faults: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    applied_config_version: int | None = None
    applied_config_at: datetime | None = _ts()
    rejected_config_version: int | None = None
    rejected_config_reason: str | None = Field(default=None, max_length=500)
    updated_at: datetime | None = _ts()


class HeartbeatSample(SQLModel, table=True):
    """One heartbeat of a device kept as its history: at most one per `heartbeat_sample_s`,
    deleted after `heartbeat_retention_days` (heartbeats are not facts: no event row)."""

    __tablename__ = "heartbeat_sample"
    __table_args__ = (sa.Index("ix_heartbeat_sample_at", "at"),)

    hall: str = Field(primary_key=True, max_length=63)
    device: str = Field(primary_key=True, max_length=63)
    at: datetime = Field(sa_type=UtcDateTime, primary_key=True)
    uptime_s: float | None = None
    agent_version: str | None = Field(default=None, max_length=32)
    config_version: int | None = None
    outbox_depth: int | None = None
    outbox_capacity: int | None = None
    clock_offset_ms: float | None = None
    observed_skew_ms: float | None = None
    cpu_temp_c: float | None = None
    driver_status: str | None = Field(default=None, max_length=64)
    faults: list[dict[str, str]] | None = Field(default=None, sa_type=sa.JSON)


class Alert(SQLModel, table=True):
    """A device alert; at most one open alert per device and kind (partial unique index)."""

    __tablename__ = "alert"
    __table_args__ = (
        sa.Index(
            "ux_alert_open",
            "hall",
            "device",
            "kind",
            unique=True,
            sqlite_where=sa.text("state = 'open'"),
            postgresql_where=sa.text("state = 'open'"),
        ),
        sa.Index("ix_alert_state_opened", "state", "opened_at"),
        sa.Index("ix_alert_hall_device_kind", "hall", "device", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63)
    device: str = Field(max_length=63)
    kind: str = Field(max_length=64)
    severity: str = Field(default="warning", max_length=16)
    message: str = Field(default="", max_length=500)
    state: str = Field(default="open", max_length=16)
    opened_at: datetime | None = _ts(nullable=False)
    resolved_at: datetime | None = _ts()
    resolved_by: str | None = Field(default=None, max_length=64)
    source: str = Field(default="fleet", max_length=16, description="fleet, compliance, ...")
    rule: str | None = Field(default=None, max_length=16)
    window: str | None = Field(default=None, max_length=63)
    seat: str | None = Field(default=None, max_length=63)
    staff_id: str | None = Field(default=None, max_length=64)
    words: str | None = Field(default=None, max_length=80, description="catalogue key")
    word_values: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    recipients: list[str] | None = Field(default=None, sa_type=sa.JSON)
    occurrences: int = Field(default=1, description="times the condition was raised")
    reopened: int = Field(default=0, description="times it came back after being resolved")
    last_at: datetime | None = _ts()
    ack_at: datetime | None = _ts()
    ack_by: str | None = Field(default=None, max_length=64)
    ack_comment: str | None = Field(default=None, max_length=500)
    resolve_comment: str | None = Field(default=None, max_length=500)


class AlertNote(SQLModel, table=True):
    """What an operator (or the hub) did with an alert: acknowledged, resolved, re-opened."""

    __tablename__ = "alert_note"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(index=True)
    at: datetime | None = _ts(nullable=False)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=16)
    comment: str = Field(default="", max_length=500)


class ConfigVersion(SQLModel, table=True):
    """One version of a device's config document, kept when its settings changed."""

    __tablename__ = "config_version"

    hall: str = Field(primary_key=True, max_length=63)
    device: str = Field(primary_key=True, max_length=63)
    version: int = Field(primary_key=True)
    kind: str = Field(max_length=32)
    settings_hash: str = Field(max_length=64)
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    issued_at: datetime | None = _ts(nullable=False)
    published_at: datetime | None = _ts()


class OpeningCheck(SQLModel, table=True):
    """The stored report of one hall's opening check on one day (rule DEV-1)."""

    __tablename__ = "opening_check"
    __table_args__ = (sa.UniqueConstraint("hall", "day", name="uq_opening_check_day"),)

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63)
    day: date
    due_at: datetime | None = _ts(nullable=False)
    checked_at: datetime | None = _ts(nullable=False)
    checked: int = 0
    ok: bool = True
    problems: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
