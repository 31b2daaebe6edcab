"""fleet: heartbeats are not facts: a downsampled history per device (heartbeat_sample)

Revision ID: fleet_0003
Revises: fleet_0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "fleet_0003"
down_revision = "fleet_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "heartbeat_sample",
        sa.Column("hall", sa.String(63), primary_key=True),
        sa.Column("device", sa.String(63), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("uptime_s", sa.Float(), nullable=True),
        sa.Column("agent_version", sa.String(32), nullable=True),
        sa.Column("config_version", sa.Integer(), nullable=True),
        sa.Column("outbox_depth", sa.Integer(), nullable=True),
        sa.Column("outbox_capacity", sa.Integer(), nullable=True),
        sa.Column("clock_offset_ms", sa.Float(), nullable=True),
        sa.Column("observed_skew_ms", sa.Float(), nullable=True),
        sa.Column("cpu_temp_c", sa.Float(), nullable=True),
        sa.Column("driver_status", sa.String(64), nullable=True),
        sa.Column("faults", sa.JSON(), nullable=True),
    )
    op.create_index("ix_heartbeat_sample_at", "heartbeat_sample", ["at"])


def downgrade() -> None:
    op.drop_index("ix_heartbeat_sample_at", table_name="heartbeat_sample")
    op.drop_table("heartbeat_sample")
