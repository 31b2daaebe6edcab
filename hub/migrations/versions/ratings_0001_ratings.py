"""ratings: bound ratings, refusals, follow-up tasks and log, alerts, settings

Revision ID: ratings_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "ratings_0001"
down_revision = None
branch_labels = ("ratings",)
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(26), nullable=False),
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("window", sa.String(63), nullable=False),
        sa.Column("seat", sa.String(63), nullable=True),
        sa.Column("device", sa.String(63), nullable=False),
        sa.Column("ticket", sa.String(12), nullable=False),
        sa.Column("service", sa.String(32), nullable=True),
        sa.Column("staff_id", sa.String(64), nullable=True),
        sa.Column("shown_staff_id", sa.String(64), nullable=True),
        sa.Column("present_staff_id", sa.String(64), nullable=True),
        sa.Column("present_source", sa.String(16), nullable=True),
        sa.Column("mismatch", sa.Boolean(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("attitude", sa.Integer(), nullable=True),
        sa.Column("efficiency", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(32), nullable=True),
        _ts("rated_at", nullable=False),
        _ts("recorded_at", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
        sa.UniqueConstraint("hall", "day", "window", "ticket", name="uq_rating_service"),
    )
    op.create_index("ix_rating_hall_day", "rating", ["hall", "day"])
    op.create_table(
        "rating_refusal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(26), nullable=False),
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("device", sa.String(63), nullable=False),
        sa.Column("seat", sa.String(63), nullable=True),
        sa.Column("ticket", sa.String(12), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        _ts("rated_at", nullable=False),
        _ts("recorded_at", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_rating_refusal_hall", "rating_refusal", ["hall"])
    op.create_table(
        "rating_followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("window", sa.String(63), nullable=False),
        sa.Column("staff_id", sa.String(64), nullable=True),
        sa.Column("ticket", sa.String(12), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("assignee", sa.String(64), nullable=True),
        _ts("opened_at", nullable=False),
        _ts("contact_due", nullable=False),
        _ts("resolve_due", nullable=False),
        _ts("assigned_at"),
        _ts("contacted_at"),
        _ts("resolved_at"),
        _ts("audited_at"),
        sa.Column("outcome", sa.String(1000), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rating_id"),
    )
    op.create_index("ix_rating_followup_hall", "rating_followup", ["hall"])
    op.create_table(
        "rating_followup_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("followup_id", sa.Integer(), nullable=False),
        _ts("at", nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("note", sa.String(1000), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rating_followup_log_followup_id", "rating_followup_log", ["followup_id"])
    op.create_table(
        "rating_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("window", sa.String(63), nullable=True),
        sa.Column("staff_id", sa.String(64), nullable=True),
        sa.Column("text", sa.String(500), nullable=False),
        _ts("at", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hall", "kind", "ref", name="uq_rating_alert"),
    )
    op.create_index("ix_rating_alert_hall", "rating_alert", ["hall"])
    op.create_table(
        "rating_settings",
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("hall"),
    )


def downgrade() -> None:
    for table in (
        "rating_settings",
        "rating_alert",
        "rating_followup_log",
        "rating_followup",
        "rating_refusal",
        "rating",
    ):
        op.drop_table(table)
