"""ingest: event log, dead letters, device sequences and sequence gaps

Revision ID: ingest_0001
Revises:
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa

revision = "ingest_0001"
down_revision = None
branch_labels = ("ingest",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("event_id", sa.String(length=26), nullable=False),
        sa.Column("hall", sa.String(length=63), nullable=False),
        sa.Column("device", sa.String(length=63), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("device_ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ts_offset_min", sa.Integer(), nullable=False),
        sa.Column("synced", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_event_device_seq", "event", ["hall", "device", "seq"])
    op.create_index("ix_event_hall_type_ts", "event", ["hall", "type", "device_ts"])
    op.create_index("ix_event_received_at", "event", ["received_at"])

    op.create_table(
        "dead_letter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("topic", sa.String(length=512), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dead_letter_received_at", "dead_letter", ["received_at"])

    op.create_table(
        "device_sequence",
        sa.Column("hall", sa.String(length=63), nullable=False),
        sa.Column("device", sa.String(length=63), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("facts", sa.BigInteger(), nullable=False),
        sa.Column("gaps_open", sa.Integer(), nullable=False),
        sa.Column("gaps_total", sa.Integer(), nullable=False),
        sa.Column("missing_open", sa.BigInteger(), nullable=False),
        sa.Column("resets", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hall", "device"),
    )

    op.create_table(
        "sequence_gap",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall", sa.String(length=63), nullable=False),
        sa.Column("device", sa.String(length=63), nullable=False),
        sa.Column("from_seq", sa.BigInteger(), nullable=False),
        sa.Column("to_seq", sa.BigInteger(), nullable=False),
        sa.Column("missing", sa.BigInteger(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sequence_gap_device", "sequence_gap", ["hall", "device", "filled_at"])


def downgrade() -> None:
    op.drop_index("ix_sequence_gap_device", table_name="sequence_gap")
    op.drop_table("sequence_gap")
    op.drop_table("device_sequence")
    op.drop_index("ix_dead_letter_received_at", table_name="dead_letter")
    op.drop_table("dead_letter")
    op.drop_index("ix_event_received_at", table_name="event")
    op.drop_index("ix_event_hall_type_ts", table_name="event")
    op.drop_index("ix_event_device_seq", table_name="event")
    op.drop_table("event")
