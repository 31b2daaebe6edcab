"""Every table of the hub, imported so SQLModel.metadata is complete (for Alembic and tests).

Each area keeps its tables in its own module and its own Alembic branch
(hub/migrations/versions/<area>_*.py, `branch_labels=("<area>",)`, `down_revision=None`).
"""

from sqlmodel import SQLModel

metadata = SQLModel.metadata
