"""complaints: complaints (DUTY-6) with their steps, call-backs (DEV-4), alerts, settings

Revision ID: complaints_0001
Revises:
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "complaints_0001"
down_revision = None
branch_labels = ("complaints",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("ref", sa.String(24), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(64), nullable=True),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.Column("happened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window", sa.String(63), nullable=True),
        sa.Column("staff_id", sa.String(64), nullable=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("contact", sa.String(200), nullable=True),
        sa.Column("contact_erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_token", sa.String(64), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("assignee", sa.String(64), nullable=True),
        sa.Column("acknowledge_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("investigating_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finding", sa.String(16), nullable=True),
        sa.Column("answer", sa.String(2000), nullable=False),
        sa.Column("told_how", sa.String(16), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hall", "ref", name="uq_complaint_ref"),
    )
    op.create_index("ix_complaint_hall_received", "complaint", ["hall", "received_at"])
    op.create_table(
        "complaint_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("note", sa.String(2000), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_complaint_log_complaint_id", "complaint_log", ["complaint_id"])
    op.create_table(
        "callback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("source", sa.String(63), nullable=False),
        sa.Column("service", sa.String(32), nullable=True),
        sa.Column("note", sa.String(300), nullable=False),
        sa.Column("contact", sa.String(200), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(16), nullable=True),
        sa.Column("outcome", sa.String(500), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(64), nullable=True),
        sa.Column("contact_erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_callback_hall_state", "callback", ["hall", "state"])
    op.create_table(
        "complaint_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("window", sa.String(63), nullable=True),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hall", "kind", "ref", name="uq_complaint_alert"),
    )
    op.create_index("ix_complaint_alert_hall", "complaint_alert", ["hall"])
    op.create_table(
        "complaint_settings",
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("hall"),
    )


def downgrade() -> None:
    op.drop_table("complaint_settings")
    op.drop_index("ix_complaint_alert_hall", table_name="complaint_alert")
    op.drop_table("complaint_alert")
    op.drop_index("ix_callback_hall_state", table_name="callback")
    op.drop_table("callback")
    op.drop_index("ix_complaint_log_complaint_id", table_name="complaint_log")
    op.drop_table("complaint_log")
    op.drop_index("ix_complaint_hall_received", table_name="complaint")
    op.drop_table("complaint")
