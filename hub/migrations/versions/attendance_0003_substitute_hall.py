"""attendance: a substitute's hall (two halls may both have a window w02)

Rows stored before name no hall. Each gets the hall of the staff member it stands in for (the
leaver's window is in the leaver's hall), else the substitute's own hall; a row whose people
the staff list does not know gets the deployment's hall when the staff list names exactly one,
else stays '' (it then matches no hall's ledger, and the migration logs how many).

Revision ID: attendance_0003
Revises: attendance_0002
Create Date: 2026-12-03
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "attendance_0003"
down_revision = "attendance_0002"
branch_labels = None
depends_on = "staff_0001"  # the staff table the old rows take their hall from

logger = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    with op.batch_alter_table("att_substitute") as batch:
        batch.add_column(sa.Column("hall", sa.String(length=63), nullable=True))
    for person in ("staff_id", "substitute_id"):
        op.execute(
            "UPDATE att_substitute SET hall = (SELECT staff.hall FROM staff "
            f"WHERE staff.staff_id = att_substitute.{person}) WHERE hall IS NULL"
        )
    bind = op.get_bind()
    halls = bind.execute(sa.text("SELECT DISTINCT hall FROM staff")).scalars().all()
    only = halls[0] if len(halls) == 1 else ""
    left = bind.execute(
        sa.text("UPDATE att_substitute SET hall = :h WHERE hall IS NULL"), {"h": only}
    ).rowcount
    if left and not only:
        logger.warning("%d substitutes name people no hall knows: their hall is left empty", left)
    with op.batch_alter_table("att_substitute") as batch:
        batch.alter_column("hall", existing_type=sa.String(length=63), nullable=False)
        batch.drop_index("ix_att_substitute_window")
        batch.create_index("ix_att_substitute_hall_window", ["hall", "window"])


def downgrade() -> None:
    with op.batch_alter_table("att_substitute") as batch:
        batch.drop_index("ix_att_substitute_hall_window")
        batch.create_index("ix_att_substitute_window", ["window"])
        batch.drop_column("hall")
