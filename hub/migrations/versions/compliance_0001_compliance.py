"""compliance: marks, seat assignments, covers, away periods, violations, notices, handovers,
seat-days, alerts and duty checks (rules POST-1..POST-8)

Revision ID: compliance_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "compliance_0001"
down_revision = None
branch_labels = ("compliance",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "compliance_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(length=63), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("window", sa.String(length=63), nullable=False),
        sa.Column("seat", sa.String(length=63), nullable=True),
        sa.Column("staff_id", sa.String(length=64), nullable=True),
        sa.Column("audience", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_compliance_alert_hall"), "compliance_alert", ["hall"], unique=False)
    op.create_table(
        "compliance_assignment",
        sa.Column("hall", sa.String(length=63), nullable=False),
        sa.Column("seat", sa.String(length=63), nullable=False),
        sa.Column("window", sa.String(length=63), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=1), nullable=False),
        sa.PrimaryKeyConstraint("hall", "seat"),
    )
    op.create_table(
        "compliance_away",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(length=63), nullable=False),
        sa.Column("window", sa.String(length=63), nullable=False),
        sa.Column("seat", sa.String(length=63), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("in_hours_s", sa.Float(), nullable=False),
        sa.Column("unsigned_s", sa.Float(), nullable=False),
        sa.Column("cover_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_compliance_away_window_day", "compliance_away", ["hall", "window", "day"], unique=False
    )
    op.create_table(
        "compliance_cover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(length=63), nullable=False),
        sa.Column("seat", sa.String(length=63), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=True),
        sa.Column("cover_staff_id", sa.String(length=64), nullable=True),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approver_role", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_compliance_cover_hall"), "compliance_cover", ["hall"], unique=False)
    op.create_table(
        "compliance_duty_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(length=63), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("performed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_compliance_duty_check_hall"), "compliance_duty_check", ["hall"], unique=False
    )
    op.create_table(
        "compliance_handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(length=63), nullable=False),
        sa.Column("window", sa.String(length=63), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("from_seat", sa.String(length=63), nullable=False),
        sa.Column("to_seat", sa.String(length=63), nullable=False),
        sa.Column("from_staff", sa.String(length=64), nullable=True),
        sa.Column("to_staff", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_compliance_handover_hall"), "compliance_handover", ["hall"], unique=False
    )
    op.create_table(
        "compliance_mark",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=63), nullable=False),
        sa.Column("hall", sa.String(length=63), nullable=False),
        sa.Column("window", sa.String(length=63), nullable=False),
        sa.Column("seat", sa.String(length=63), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("on", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ticket", sa.String(length=12), nullable=True),
        sa.Column("device", sa.String(length=63), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "subject"),
    )
    op.create_index(
        "ix_compliance_mark_window_day", "compliance_mark", ["hall", "window", "day"], unique=False
    )
    op.create_table(
        "compliance_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(length=63), nullable=False),
        sa.Column("window", sa.String(length=63), nullable=False),
        sa.Column("seat", sa.String(length=63), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("away_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ticket", sa.String(length=12), nullable=True),
        sa.Column("neighbour_window", sa.String(length=63), nullable=True),
        sa.Column("neighbour_device", sa.String(length=63), nullable=True),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("command_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hall", "seat", "away_start", name="uq_compliance_notice"),
    )
    op.create_table(
        "compliance_seat_day",
        sa.Column("hall", sa.String(length=63), nullable=False),
        sa.Column("seat", sa.String(length=63), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("window", sa.String(length=63), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=True),
        sa.Column("on_post_s", sa.Float(), nullable=False),
        sa.Column("extended_s", sa.Float(), nullable=False),
        sa.Column("away_s", sa.Float(), nullable=False),
        sa.Column("away_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hall", "seat", "day"),
    )
    op.create_table(
        "compliance_violation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(length=63), nullable=False),
        sa.Column("window", sa.String(length=63), nullable=False),
        sa.Column("seat", sa.String(length=63), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hall", "seat", "rule", "start", name="uq_compliance_violation"),
    )
    op.create_index(
        "ix_compliance_violation_window_day",
        "compliance_violation",
        ["hall", "window", "day"],
        unique=False,
    )
    op.create_table(
        "compliance_duty_check_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("seat", sa.String(length=63), nullable=False),
        sa.Column("window", sa.String(length=63), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=True),
        sa.Column("sensed_on_post", sa.Boolean(), nullable=True),
        sa.Column("seen_on_post", sa.Boolean(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["compliance_duty_check.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_compliance_duty_check_entry_check_id"),
        "compliance_duty_check_entry",
        ["check_id"],
        unique=False,
    )


def downgrade() -> None:

    op.drop_index(
        op.f("ix_compliance_duty_check_entry_check_id"), table_name="compliance_duty_check_entry"
    )
    op.drop_table("compliance_duty_check_entry")
    op.drop_index("ix_compliance_violation_window_day", table_name="compliance_violation")
    op.drop_table("compliance_violation")
    op.drop_table("compliance_seat_day")
    op.drop_table("compliance_notice")
    op.drop_index("ix_compliance_mark_window_day", table_name="compliance_mark")
    op.drop_table("compliance_mark")
    op.drop_index(op.f("ix_compliance_handover_hall"), table_name="compliance_handover")
    op.drop_table("compliance_handover")
    op.drop_index(op.f("ix_compliance_duty_check_hall"), table_name="compliance_duty_check")
    op.drop_table("compliance_duty_check")
    op.drop_index(op.f("ix_compliance_cover_hall"), table_name="compliance_cover")
    op.drop_table("compliance_cover")
    op.drop_index("ix_compliance_away_window_day", table_name="compliance_away")
    op.drop_table("compliance_away")
    op.drop_table("compliance_assignment")
    op.drop_index(op.f("ix_compliance_alert_hall"), table_name="compliance_alert")
    op.drop_table("compliance_alert")
