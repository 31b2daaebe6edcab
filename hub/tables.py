"""Every table of the hub, imported so SQLModel.metadata is complete (for Alembic and tests).

Each area keeps its tables in its own module and its own Alembic branch
(hub/migrations/versions/<area>_*.py, `branch_labels=("<area>",)`, `down_revision=None`).
"""

from sqlmodel import SQLModel

import hub.attendance.tables  # noqa: F401
import hub.compliance.tables  # noqa: F401
import hub.events.tables  # noqa: F401
import hub.fleet.tables  # noqa: F401
import hub.queue.tables  # noqa: F401
import hub.ratings.tables  # noqa: F401
import hub.staff.tables  # noqa: F401
import hub.users.tables  # noqa: F401

metadata = SQLModel.metadata
