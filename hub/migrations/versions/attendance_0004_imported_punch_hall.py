"""attendance: imported punches name their staff member's hall

Punches imported before (no event, no terminal) were stored with hall '', which every hall's
post ledger read as its own. Each now takes its staff member's hall; a punch of someone the
staff list does not know keeps '' (no hall's ledger reads it). No schema change.

Revision ID: attendance_0004
Revises: attendance_0003
Create Date: 2026-12-03
"""

from alembic import op

revision = "attendance_0004"
down_revision = "attendance_0003"
branch_labels = None
depends_on = "staff_0001"


def upgrade() -> None:
    op.execute(
        "UPDATE att_punch SET hall = COALESCE((SELECT staff.hall FROM staff "
        "WHERE staff.staff_id = att_punch.staff_id), '') WHERE hall = '' AND event_id IS NULL"
    )


def downgrade() -> None:
    op.execute("UPDATE att_punch SET hall = '' WHERE event_id IS NULL")
