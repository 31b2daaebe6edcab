"""Every table of the hub, imported so SQLModel.metadata is complete (for Alembic and tests).

Each area keeps its tables in its own module and its own Alembic branch
(hub/migrations/versions/<area>_*.py, `branch_labels=("<area>",)`, `down_revision=None`).
"""

from sqlmodel import SQLModel

import hub.attendance.tables
import hub.complaints.tables
import hub.compliance.tables
import hub.duty.tables
import hub.events.tables
import hub.fleet.tables
import hub.queue.tables
import hub.ratings.tables
import hub.staff.tables
import hub.users.tables  # noqa: F401

metadata = SQLModel.metadata
