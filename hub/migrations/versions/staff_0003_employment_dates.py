"""staff: start_date and leave_date (attendance judges only the days in between)

Revision ID: staff_0003
Revises: staff_0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "staff_0003"
down_revision = "staff_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("start_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("leave_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("leave_date")
        batch.drop_column("start_date")
