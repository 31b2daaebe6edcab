"""Fact tables: the append-only event log, dead letters, and per-device sequence tracking.

Timestamps are `UtcDateTime` (hub.dbtypes): stored and bound as UTC, read back aware UTC
(ingest writes the same naive-UTC text by hand on SQLite: hub.ingest.dbsql).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.dbtypes import UtcDateTime

DEAD_LETTER_MAX_BYTES = 4096
"""How much of a refused payload a dead letter keeps (its full size is kept in `size`)."""
DEAD_LETTER_MAX_REASON = 1000
"""Longest reason text a dead letter keeps."""
DEAD_LETTER_MAX_TOPIC = 512
"""Longest topic a dead letter keeps."""


def _ts(*, nullable: bool = False, index: bool = False) -> sa.Column[datetime]:
    return sa.Column(UtcDateTime, nullable=nullable, index=index)


class Event(SQLModel, table=True):
    """One accepted event, exactly once (unique event id); never updated, never deleted."""

    __tablename__ = "event"
    __table_args__ = (
        sa.Index("ix_event_device_seq", "hall", "device", "seq"),
        sa.Index("ix_event_hall_type_ts", "hall", "type", "device_ts"),
        sa.Index("ux_event_pos", "pos", unique=True),
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
    pos: int | None = Field(
        default=None,
        sa_type=sa.BigInteger,
        description="Position in the fact log: increases in commit order (FactCounter)",
    )


class DeadLetter(SQLModel, table=True):
    """A message ingest refused, with the reason; the payload is kept truncated."""

    __tablename__ = "dead_letter"
    __table_args__ = (sa.Index("ix_dead_letter_device", "hall", "device"),)

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(sa_column=_ts(index=True))
    topic: str = Field(max_length=DEAD_LETTER_MAX_TOPIC)
    reason: str = Field(sa_type=sa.Text)
    code: str | None = Field(
        default=None, max_length=32, description="Reason code (hub.ingest.reasons)"
    )
    hall: str | None = Field(default=None, max_length=63, description="From the topic, if any")
    device: str | None = Field(default=None, max_length=63, description="From the topic")
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


class FactCounter(SQLModel, table=True):
    """The fact log's last allocated position (one row).

    A store transaction takes its positions by updating this row first, so positions are
    committed in increasing order: on PostgreSQL the row lock orders concurrent ingest
    workers, on SQLite the write lock does. A reader that has seen position N never later
    sees a smaller one appear, which is what makes a projector's cursor safe.
    """

    __tablename__ = "fact_counter"

    id: int = Field(primary_key=True)
    last_pos: int = Field(sa_type=sa.BigInteger)


class ProjectorCursor(SQLModel, table=True):
    """How far one projector lane has applied the fact log (every fact <= pos is applied or
    waiting in projector_retry)."""

    __tablename__ = "projector_cursor"

    lane: str = Field(primary_key=True, max_length=128, description="Projector (and hall)")
    pos: int = Field(sa_type=sa.BigInteger)
    updated_at: datetime = Field(sa_column=_ts())


class ProjectorRetry(SQLModel, table=True):
    """A fact a projector lane failed on (or that waits behind one of the same key)."""

    __tablename__ = "projector_retry"
    __table_args__ = (sa.Index("ix_projector_retry_due", "lane", "next_at"),)

    lane: str = Field(primary_key=True, max_length=128)
    event_id: str = Field(primary_key=True, max_length=26)
    pos: int = Field(sa_type=sa.BigInteger)
    key: str = Field(max_length=128, description="Facts of one key are applied in order")
    attempts: int = Field(default=0, description="Failed tries so far (0: waits behind another)")
    next_at: datetime = Field(sa_column=_ts())
    error: str = Field(default="", sa_type=sa.Text)
    alerted_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime = Field(sa_column=_ts())
