"""staff: erasure requests carry an id, their attempts and the next retry

Revision ID: staff_0002
Revises: staff_0001
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa

revision = "staff_0002"
down_revision = "staff_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("template_erasure") as batch:
        batch.add_column(sa.Column("erasure_id", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("template_erasure") as batch:
        batch.drop_column("next_try_at")
        batch.drop_column("last_sent_at")
        batch.drop_column("attempts")
        batch.drop_column("erasure_id")
