"""users: an operator account may name the staff member it belongs to (rules ATT-5, ATT-6)

Revision ID: users_0002
Revises: users_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "users_0002"
down_revision = "users_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users_account") as batch:
        batch.add_column(sa.Column("staff_id", sa.String(64), nullable=True))
        batch.create_index("ix_users_account_staff_id", ["staff_id"])


def downgrade() -> None:
    with op.batch_alter_table("users_account") as batch:
        batch.drop_index("ix_users_account_staff_id")
        batch.drop_column("staff_id")
