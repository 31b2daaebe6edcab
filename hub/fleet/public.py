"""What the fleet API returns: Public models, kept apart from the table models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class FaultPublic(BaseModel):
    """An active device fault."""

    code: str
    message: str
    severity: str


class DevicePublic(BaseModel):
    """A device and its health."""

    hall: str
    device: str
    kind: str | None
    node: str | None
    window: str | None
    seat: str | None
    in_layout: bool
    status: str = Field(description="online, offline, inactive or unknown")
    online: bool | None
    last_seen: datetime | None
    state_at: datetime | None
    heartbeat_at: datetime | None
    uptime_s: float | None
    agent_version: str | None
    outbox_depth: int | None
    outbox_capacity: int | None
    clock_offset_ms: float | None
    observed_skew_ms: float | None
    clock_synced: bool | None
    cpu_temp_c: float | None
    driver_status: str | None
    faults: list[FaultPublic]
    applied_config_version: int | None
    open_alerts: list[str] = Field(description="Kinds of the device's open alerts")


class AlertPublic(BaseModel):
    """A device alert."""

    id: int
    hall: str
    device: str
    kind: str
    severity: str
    message: str
    state: str
    opened_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    source: str = "fleet"
    rule: str | None = None
    window: str | None = None
    seat: str | None = None
    staff_id: str | None = None
    words: str | None = None
    word_values: dict[str, Any] | None = None
    recipients: list[str] = []
    occurrences: int = 1
    reopened: int = 0
    last_at: datetime | None = None
    ack_at: datetime | None = None
    ack_by: str | None = None
    ack_comment: str | None = None
    resolve_comment: str | None = None


class AlertComment(BaseModel):
    """What an operator says when acknowledging or resolving an alert (required)."""

    comment: str = Field(default="", max_length=500)


class ProblemPublic(BaseModel):
    """A device the opening check found not healthy."""

    device: str
    kind: str | None
    status: str
    reasons: list[str]


class OpeningCheckPublic(BaseModel):
    """A hall's opening check report (rule DEV-1)."""

    hall: str
    day: date
    due_at: datetime
    checked_at: datetime
    checked: int
    ok: bool
    problems: list[ProblemPublic]


class ConfigStatusPublic(BaseModel):
    """A device's latest config version and the version it applied."""

    hall: str
    device: str
    kind: str
    version: int
    settings_hash: str
    issued_at: datetime
    published_at: datetime | None
    applied_version: int | None
    applied_at: datetime | None
    rejected_version: int | None
    rejected_reason: str | None
    up_to_date: bool


class FleetSummaryPublic(BaseModel):
    """One hall's fleet at a glance: devices by status, open alerts by kind."""

    hall: str
    devices: int
    by_status: dict[str, int]
    open_alerts: dict[str, int]


class HealthPublic(BaseModel):
    """Is the hub alive and can it reach its database."""

    status: str
    database: str
    halls: list[str]
    detail: dict[str, Any] = Field(default_factory=dict)
