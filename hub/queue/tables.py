"""Queue tables: every queue event (the facts the queue is rebuilt from) and each ticket's state.

Timestamps are `UtcDateTime` (hub.dbtypes): stored and bound as UTC, read back aware UTC.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.dbtypes import UtcDateTime


def _ts(*, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(UtcDateTime, nullable=nullable)


class QueueEventRow(SQLModel, table=True):
    """One queue change with its time (QUEUE-5); replayed to rebuild the queue on restart."""

    __tablename__ = "queue_event"
    __table_args__ = (
        sa.UniqueConstraint("hall", "seq", name="uq_queue_event_hall_seq"),
        sa.Index("ix_queue_event_hall_day", "hall", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63)
    day: str = Field(max_length=10, description="Hall-local date, YYYY-MM-DD")
    seq: int
    kind: str = Field(max_length=16)
    at: datetime = Field(sa_column=_ts())
    ticket: str | None = Field(default=None, max_length=12)
    service: str | None = Field(default=None, max_length=32)
    window: str | None = Field(default=None, max_length=63)
    data: str = Field(default="{}", max_length=2000, description="JSON of the event's details")
    source: str | None = Field(
        default=None,
        max_length=64,
        index=True,
        description="The envelope (or API request) that caused it",
    )


class QueueTicketRow(SQLModel, table=True):
    """A ticket's latest state, for queries and reports."""

    __tablename__ = "queue_ticket"

    hall: str = Field(primary_key=True, max_length=63)
    day: str = Field(primary_key=True, max_length=10)
    number: str = Field(primary_key=True, max_length=12)
    service: str = Field(max_length=32)
    state: str = Field(max_length=16)
    green: bool = Field(default=False)
    window: str | None = Field(default=None, max_length=63)
    staff: str | None = Field(default=None, max_length=64)
    recalls: int = Field(default=0)
    issued_at: datetime = Field(sa_column=_ts())
    called_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    started_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class QueueCaseRow(SQLModel, table=True):
    """A promised case (承诺件) accepted at a window, due within its promised time (QUEUE-5)."""

    __tablename__ = "queue_case"
    __table_args__ = (
        sa.UniqueConstraint("hall", "day", "ticket", name="uq_queue_case_ticket"),
        sa.Index("ix_queue_case_open", "hall", "completed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63)
    day: str = Field(max_length=10, description="Hall-local day of acceptance")
    ticket: str = Field(max_length=12)
    service: str = Field(max_length=32)
    window: str | None = Field(default=None, max_length=63)
    staff: str | None = Field(default=None, max_length=64)
    case_no: str | None = Field(default=None, max_length=64, description="办件编号")
    accepted_at: datetime = Field(sa_column=_ts())
    due_at: datetime = Field(sa_column=_ts())
    completed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    completed_by: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=500)


class QueueAlertRow(SQLModel, table=True):
    """A live queue alert (QUEUE-5 limit or promise, QUEUE-6 early stop), raised once each."""

    __tablename__ = "queue_alert"
    __table_args__ = (sa.UniqueConstraint("hall", "kind", "ref", name="uq_queue_alert"),)

    id: int | None = Field(default=None, primary_key=True)
    hall: str = Field(max_length=63, index=True)
    kind: str = Field(max_length=32, description="immediate_over_limit, early_stop, ...")
    rule: str = Field(max_length=16)
    ref: str = Field(max_length=96, description="What it is about, once per kind")
    window: str | None = Field(default=None, max_length=63)
    ticket: str | None = Field(default=None, max_length=12)
    text: str = Field(default="", max_length=500)
    at: datetime = Field(sa_column=_ts())
