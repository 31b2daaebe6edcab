"""attendance: 脱岗 and 未到 statuses, the ATT-4 early punch, correction review, sick-leave
certificate, daily wages

Revision ID: attendance_0002
Revises: attendance_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "attendance_0002"
down_revision = "attendance_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("att_day") as batch:
        batch.alter_column(
            "status", existing_type=sa.String(length=8), type_=sa.String(length=16)
        )
        batch.add_column(
            sa.Column("early_punch", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("att_leave") as batch:
        batch.add_column(
            sa.Column("certificate", sa.String(length=128), nullable=False, server_default="")
        )
    with op.batch_alter_table("att_correction") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="approved")
        )
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE att_correction SET status = 'revoked' WHERE revoked")
    op.execute("UPDATE att_correction SET reviewed_at = entered_at WHERE NOT revoked")
    op.create_table(
        "att_pay",
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("daily_wage_fen", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("staff_id"),
    )


def downgrade() -> None:
    op.drop_table("att_pay")
    with op.batch_alter_table("att_correction") as batch:
        batch.drop_column("reviewed_at")
        batch.drop_column("status")
    with op.batch_alter_table("att_leave") as batch:
        batch.drop_column("certificate")
    with op.batch_alter_table("att_day") as batch:
        batch.drop_column("early_punch")
        batch.alter_column(
            "status", existing_type=sa.String(length=16), type_=sa.String(length=8)
        )
