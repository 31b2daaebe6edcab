"""staff: one-time enrollment requests at a terminal

Revision ID: staff_0004
Revises: staff_0003
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa

revision = "staff_0004"
down_revision = "staff_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enrollment_request",
        sa.Column("enrollment_id", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("hall", sa.String(length=63), nullable=False),
        sa.Column("device", sa.String(length=63), nullable=False),
        sa.Column("unit", sa.String(length=128), nullable=False),
        sa.Column("window", sa.String(length=63), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("enrollment_id"),
    )
    op.create_index(
        "ix_enrollment_request_token_hash", "enrollment_request", ["token_hash"]
    )


def downgrade() -> None:
    op.drop_index("ix_enrollment_request_token_hash", table_name="enrollment_request")
    op.drop_table("enrollment_request")
