"""ratings: the national scheme (service level, case number) and the full follow-up (contact
attempts, sealed phone number, verification, rectification with a deadline, closure)

Revision ID: ratings_0002
Revises: ratings_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "ratings_0002"
down_revision = "ratings_0001"
branch_labels = None
depends_on = None


def _ts(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    with op.batch_alter_table("rating") as b:
        b.add_column(sa.Column("service_level", sa.Integer(), nullable=True))
        b.add_column(sa.Column("case_no", sa.String(64), nullable=True))
    with op.batch_alter_table("rating_followup") as b:
        b.alter_column("resolve_due", new_column_name="close_due")
        b.alter_column("resolved_at", new_column_name="closed_at")
        b.add_column(sa.Column("contact", sa.String(200), nullable=True))
        b.add_column(_ts("contact_erased_at"))
        b.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("finding", sa.String(16), nullable=True))
        b.add_column(_ts("verified_at"))
        b.add_column(
            sa.Column("rectify_plan", sa.String(1000), nullable=False, server_default="")
        )
        b.add_column(_ts("rectify_due"))
        b.add_column(_ts("rectifying_at"))
        b.add_column(_ts("rectified_at"))
        b.add_column(sa.Column("told_how", sa.String(16), nullable=True))
    with op.batch_alter_table("rating_followup") as b:
        b.alter_column("attempts", server_default=None)
        b.alter_column("rectify_plan", server_default=None)
    # followups resolved under the old steps are closed ones
    op.execute("UPDATE rating_followup SET state = 'closed' WHERE state = 'resolved'")


def downgrade() -> None:
    op.execute("UPDATE rating_followup SET state = 'resolved' WHERE state = 'closed'")
    with op.batch_alter_table("rating_followup") as b:
        for name in (
            "told_how",
            "rectified_at",
            "rectifying_at",
            "rectify_due",
            "rectify_plan",
            "verified_at",
            "finding",
            "attempts",
            "contact_erased_at",
            "contact",
        ):
            b.drop_column(name)
        b.alter_column("closed_at", new_column_name="resolved_at")
        b.alter_column("close_due", new_column_name="resolve_due")
    with op.batch_alter_table("rating") as b:
        b.drop_column("case_no")
        b.drop_column("service_level")
