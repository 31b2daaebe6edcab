"""ingest: fact log positions, projector cursors and retries

Revision ID: ingest_0002
Revises: ingest_0001
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa

revision = "ingest_0002"
down_revision = "ingest_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("event", sa.Column("pos", sa.BigInteger(), nullable=True))
    bind = op.get_bind()
    # Facts stored before positions existed get them in the order they were received.
    op.execute(
        "UPDATE event SET pos = ranked.n FROM (SELECT event_id, row_number() OVER "
        "(ORDER BY received_at, event_id) AS n FROM event) AS ranked "
        "WHERE event.event_id = ranked.event_id"
    )
    op.create_index("ux_event_pos", "event", ["pos"], unique=True)
    op.create_table(
        "fact_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_pos", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    last = bind.execute(sa.text("SELECT COALESCE(MAX(pos), 0) FROM event")).scalar_one()
    op.execute(sa.text(f"INSERT INTO fact_counter (id, last_pos) VALUES (1, {int(last)})"))
    op.create_table(
        "projector_cursor",
        sa.Column("lane", sa.String(length=128), nullable=False),
        sa.Column("pos", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lane"),
    )
    op.create_table(
        "projector_retry",
        sa.Column("lane", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.String(length=26), nullable=False),
        sa.Column("pos", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lane", "event_id"),
    )
    op.create_index("ix_projector_retry_due", "projector_retry", ["lane", "next_at"])


def downgrade() -> None:
    op.drop_index("ix_projector_retry_due", table_name="projector_retry")
    op.drop_table("projector_retry")
    op.drop_table("projector_cursor")
    op.drop_table("fact_counter")
    op.drop_index("ux_event_pos", table_name="event")
    op.drop_column("event", "pos")
