"""queue: queue events and tickets

Revision ID: queue_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "queue_0001"
down_revision = None
branch_labels = ("queue",)
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "queue_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _ts("at", nullable=False),
        sa.Column("ticket", sa.String(12), nullable=True),
        sa.Column("service", sa.String(32), nullable=True),
        sa.Column("window", sa.String(63), nullable=True),
        sa.Column("data", sa.String(2000), nullable=False),
        sa.Column("source", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hall", "seq", name="uq_queue_event_hall_seq"),
    )
    op.create_index("ix_queue_event_hall_day", "queue_event", ["hall", "day"])
    op.create_index("ix_queue_event_source", "queue_event", ["source"])
    op.create_table(
        "queue_ticket",
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("number", sa.String(12), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("green", sa.Boolean(), nullable=False),
        sa.Column("window", sa.String(63), nullable=True),
        sa.Column("staff", sa.String(64), nullable=True),
        sa.Column("recalls", sa.Integer(), nullable=False),
        _ts("issued_at", nullable=False),
        _ts("called_at"),
        _ts("started_at"),
        _ts("finished_at"),
        sa.PrimaryKeyConstraint("hall", "day", "number"),
    )


def downgrade() -> None:
    op.drop_table("queue_ticket")
    op.drop_index("ix_queue_event_source", table_name="queue_event")
    op.drop_index("ix_queue_event_hall_day", table_name="queue_event")
    op.drop_table("queue_event")
