"""queue: promised cases (QUEUE-5) and live queue alerts (QUEUE-5, QUEUE-6)

Revision ID: queue_0002
Revises: queue_0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "queue_0002"
down_revision = "queue_0001"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "queue_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("ticket", sa.String(12), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("window", sa.String(63), nullable=True),
        sa.Column("staff", sa.String(64), nullable=True),
        sa.Column("case_no", sa.String(64), nullable=True),
        _ts("accepted_at", nullable=False),
        _ts("due_at", nullable=False),
        _ts("completed_at"),
        sa.Column("completed_by", sa.String(64), nullable=True),
        sa.Column("note", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hall", "day", "ticket", name="uq_queue_case_ticket"),
    )
    op.create_index("ix_queue_case_open", "queue_case", ["hall", "completed_at"])
    op.create_table(
        "queue_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(96), nullable=False),
        sa.Column("window", sa.String(63), nullable=True),
        sa.Column("ticket", sa.String(12), nullable=True),
        sa.Column("text", sa.String(500), nullable=False),
        _ts("at", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hall", "kind", "ref", name="uq_queue_alert"),
    )
    op.create_index("ix_queue_alert_hall", "queue_alert", ["hall"])


def downgrade() -> None:
    op.drop_index("ix_queue_alert_hall", table_name="queue_alert")
    op.drop_table("queue_alert")
    op.drop_index("ix_queue_case_open", table_name="queue_case")
    op.drop_table("queue_case")
