"""ingest: fact log positions, projector cursors and retries; dead letters' device and code

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


    op.add_column("dead_letter", sa.Column("code", sa.String(length=32), nullable=True))
    op.add_column("dead_letter", sa.Column("hall", sa.String(length=63), nullable=True))
    op.add_column("dead_letter", sa.Column("device", sa.String(length=63), nullable=True))
    op.create_index("ix_dead_letter_device", "dead_letter", ["hall", "device"])
    _fill_dead_letters(bind)


def _fill_dead_letters(bind: sa.engine.Connection) -> None:
    """Dead letters stored before: their code and device, from their reason and topic."""
    from hub.ingest.reasons import reason_code

    rows = bind.execute(sa.text("SELECT id, topic, reason FROM dead_letter")).all()
    for row_id, topic, reason in rows:
        parts = topic.split("/")
        hall, device = (parts[2][:63], parts[3][:63]) if len(parts) == 5 else (None, None)
        bind.execute(
            sa.text("UPDATE dead_letter SET code = :c, hall = :h, device = :d WHERE id = :i"),
            {"c": reason_code(reason), "h": hall, "d": device, "i": row_id},
        )


def downgrade() -> None:
    op.drop_index("ix_dead_letter_device", table_name="dead_letter")
    op.drop_column("dead_letter", "device")
    op.drop_column("dead_letter", "hall")
    op.drop_column("dead_letter", "code")
    op.drop_index("ix_projector_retry_due", table_name="projector_retry")
    op.drop_table("projector_retry")
    op.drop_table("projector_cursor")
    op.drop_table("fact_counter")
    op.drop_index("ux_event_pos", table_name="event")
    op.drop_column("event", "pos")
