"""compliance: drop compliance_duty_check and compliance_duty_check_entry

Nothing ever wrote or read them: the duty chief's checks (rule POST-8) are the duty area's
(duty_check, duty_check_item). Downgrade recreates them empty, as compliance_0001 made them.

Revision ID: compliance_0002
Revises: compliance_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "compliance_0002"
down_revision = "compliance_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_compliance_duty_check_entry_check_id", table_name="compliance_duty_check_entry")
    op.drop_table("compliance_duty_check_entry")
    op.drop_index("ix_compliance_duty_check_hall", table_name="compliance_duty_check")
    op.drop_table("compliance_duty_check")


def downgrade() -> None:
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
    op.create_index("ix_compliance_duty_check_hall", "compliance_duty_check", ["hall"])
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
        sa.ForeignKeyConstraint(["check_id"], ["compliance_duty_check.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_compliance_duty_check_entry_check_id", "compliance_duty_check_entry", ["check_id"]
    )
