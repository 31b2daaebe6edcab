"""Fact tables: the append-only event log, dead letters, and per-device sequence tracking.

Timestamps are stored in UTC (`DateTime(timezone=True)`); SQLite hands them back naive, so
read them through `hub.events.queries`, which makes them aware again.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

DEAD_LETTER_MAX_BYTES = 4096
"""How much of a refused payload a dead letter keeps (its full size is kept in `size`)."""
DEAD_LETTER_MAX_REASON = 1000
"""Longest reason text a dead letter keeps."""
DEAD_LETTER_MAX_TOPIC = 512
"""Longest topic a dead letter keeps."""


def _ts(*, nullable: bool = False, index: bool = False) -> sa.Column[datetime]:
    return sa.Column(sa.DateTime(timezone=True), nullable=nullable, index=index)


class Event(SQLModel, table=True):
    """One accepted event, exactly once (unique event id); never updated, never deleted."""

    __tablename__ = "event"
    __table_args__ = (
        sa.Index("ix_event_device_seq", "hall", "device", "seq"),
        sa.Index("ix_event_hall_type_ts", "hall", "type", "device_ts"),
    )

    event_id: str = Field(primary_key=True, max_length=26, description="Envelope id (ULID)")
    hall: str = Field(max_length=63)
    device: str = Field(max_length=63)
    seq: int = Field(sa_type=sa.BigInteger, description="Per-device fact sequence number")
    type: str = Field(max_length=32, description="EventType value")
    device_ts: datetime = Field(sa_column=_ts(), description="Device time, UTC")
    ts_offset_min: int = Field(default=0, description="UTC offset the device reported, minutes")
    synced: bool = Field(description="Device clock was synchronised")
    received_at: datetime = Field(sa_column=_ts(index=True), description="Hub receive time, UTC")
    body: str = Field(sa_type=sa.Text, description="The event body as JSON text")


class DeadLetter(SQLModel, table=True):
    """A message ingest refused, with the reason; the payload is kept truncated."""

    __tablename__ = "dead_letter"

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(sa_column=_ts(index=True))
    topic: str = Field(max_length=DEAD_LETTER_MAX_TOPIC)
    reason: str = Field(sa_type=sa.Text)
    payload: bytes = Field(sa_type=sa.LargeBinary, description="First bytes of the payload")
    size: int = Field(description="Full payload size in bytes")


class DeviceSequence(SQLModel, table=True):
    """The highest fact sequence number seen from a device, and its gap counts."""

    __tablename__ = "device_sequence"

    hall: str = Field(primary_key=True, max_length=63)
    device: str = Field(primary_key=True, max_length=63)
    last_seq: int = Field(sa_type=sa.BigInteger)
    facts: int = Field(default=0, sa_type=sa.BigInteger, description="New facts stored")
    gaps_open: int = Field(default=0, description="Gaps still missing some seqs")
    gaps_total: int = Field(default=0, description="Gaps ever detected")
    missing_open: int = Field(default=0, sa_type=sa.BigInteger, description="Seqs still missing")
    resets: int = Field(default=0, description="Times the device restarted its numbering")
    updated_at: datetime = Field(sa_column=_ts())


class SequenceGap(SQLModel, table=True):
    """Seqs `from_seq..to_seq` of a device were skipped; filled when all of them arrived late."""

    __tablename__ = "sequence_gap"
    __table_args__ = (sa.Index("ix_sequence_gap_device", "hall", "device", "filled_at"),)

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63)
    device: str = Field(max_length=63)
    from_seq: int = Field(sa_type=sa.BigInteger)
    to_seq: int = Field(sa_type=sa.BigInteger)
    missing: int = Field(sa_type=sa.BigInteger, description="Seqs of the range not yet received")
    detected_at: datetime = Field(sa_column=_ts())
    filled_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
