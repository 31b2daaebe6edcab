"""fleet: the alert desk: one alert per incident (source, words, recipients, occurrences,
re-opening), acknowledgement and resolution with comments, and each alert's notes

Revision ID: fleet_0002
Revises: fleet_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "fleet_0002"
down_revision = "fleet_0001"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    # plain ADD COLUMN (SQLite too): a batch copy would lose the partial unique index
    op.add_column(
        "alert", sa.Column("source", sa.String(16), nullable=False, server_default="fleet")
    )
    op.add_column("alert", sa.Column("rule", sa.String(16), nullable=True))
    op.add_column("alert", sa.Column("window", sa.String(63), nullable=True))
    op.add_column("alert", sa.Column("seat", sa.String(63), nullable=True))
    op.add_column("alert", sa.Column("staff_id", sa.String(64), nullable=True))
    op.add_column("alert", sa.Column("words", sa.String(80), nullable=True))
    op.add_column("alert", sa.Column("word_values", sa.JSON(), nullable=True))
    op.add_column("alert", sa.Column("recipients", sa.JSON(), nullable=True))
    op.add_column(
        "alert", sa.Column("occurrences", sa.Integer(), nullable=False, server_default="1")
    )
    op.add_column("alert", sa.Column("reopened", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("alert", _ts("last_at"))
    op.add_column("alert", _ts("ack_at"))
    op.add_column("alert", sa.Column("ack_by", sa.String(64), nullable=True))
    op.add_column("alert", sa.Column("ack_comment", sa.String(500), nullable=True))
    op.add_column("alert", sa.Column("resolve_comment", sa.String(500), nullable=True))
    op.create_index("ix_alert_hall_device_kind", "alert", ["hall", "device", "kind"])
    op.create_table(
        "alert_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        _ts("at", nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("comment", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_note_alert_id", "alert_note", ["alert_id"])


def downgrade() -> None:
    op.drop_index("ix_alert_note_alert_id", table_name="alert_note")
    op.drop_table("alert_note")
    op.drop_index("ix_alert_hall_device_kind", table_name="alert")
    for name in (
        "resolve_comment",
        "ack_comment",
        "ack_by",
        "ack_at",
        "last_at",
        "reopened",
        "occurrences",
        "recipients",
        "word_values",
        "words",
        "staff_id",
        "seat",
        "window",
        "rule",
        "source",
    ):
        op.drop_column("alert", name)
