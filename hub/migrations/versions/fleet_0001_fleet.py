"""fleet: device registry, device health, alerts, config versions, opening checks

Revision ID: fleet_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "fleet_0001"
down_revision = None
branch_labels = ("fleet",)
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "device",
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("device", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(32), nullable=True),
        sa.Column("node", sa.String(63), nullable=True),
        sa.Column("window", sa.String(63), nullable=True),
        sa.Column("seat", sa.String(63), nullable=True),
        sa.Column("in_layout", sa.Boolean(), nullable=False),
        _ts("registered_at"),
        sa.PrimaryKeyConstraint("hall", "device"),
    )
    op.create_table(
        "device_health",
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("device", sa.String(63), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=True),
        _ts("state_at"),
        _ts("last_seen"),
        _ts("heartbeat_at"),
        sa.Column("uptime_s", sa.Float(), nullable=True),
        sa.Column("agent_version", sa.String(32), nullable=True),
        sa.Column("contract_version", sa.Integer(), nullable=True),
        sa.Column("config_version", sa.Integer(), nullable=True),
        sa.Column("outbox_depth", sa.Integer(), nullable=True),
        sa.Column("outbox_capacity", sa.Integer(), nullable=True),
        sa.Column("clock_offset_ms", sa.Float(), nullable=True),
        sa.Column("observed_skew_ms", sa.Float(), nullable=True),
        sa.Column("clock_synced", sa.Boolean(), nullable=True),
        sa.Column("cpu_temp_c", sa.Float(), nullable=True),
        sa.Column("driver_status", sa.String(64), nullable=True),
        sa.Column("faults", sa.JSON(), nullable=False),
        sa.Column("applied_config_version", sa.Integer(), nullable=True),
        _ts("applied_config_at"),
        sa.Column("rejected_config_version", sa.Integer(), nullable=True),
        sa.Column("rejected_config_reason", sa.String(500), nullable=True),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("hall", "device"),
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("device", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("message", sa.String(500), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _ts("opened_at", nullable=False),
        _ts("resolved_at"),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_alert_open",
        "alert",
        ["hall", "device", "kind"],
        unique=True,
        sqlite_where=sa.text("state = 'open'"),
        postgresql_where=sa.text("state = 'open'"),
    )
    op.create_index("ix_alert_state_opened", "alert", ["state", "opened_at"])
    op.create_table(
        "config_version",
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("device", sa.String(63), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("settings_hash", sa.String(64), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        _ts("issued_at", nullable=False),
        _ts("published_at"),
        sa.PrimaryKeyConstraint("hall", "device", "version"),
    )
    op.create_table(
        "opening_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(63), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _ts("due_at", nullable=False),
        _ts("checked_at", nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hall", "day", name="uq_opening_check_day"),
    )


def downgrade() -> None:
    op.drop_table("opening_check")
    op.drop_table("config_version")
    op.drop_index("ix_alert_state_opened", table_name="alert")
    op.drop_index("ux_alert_open", table_name="alert")
    op.drop_table("alert")
    op.drop_table("device_health")
    op.drop_table("device")
