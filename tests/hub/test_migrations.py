"""Every area's Alembic branch builds exactly the schema its SQLModel tables declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

import hub.tables
from hub.db import MIGRATIONS, migrate


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, hub.tables.metadata)
    assert diffs == []


def test_migrating_twice_changes_nothing(engine: Engine) -> None:
    migrate(engine)  # the fixture migrated once already: heads stay heads
    script = ScriptDirectory(str(MIGRATIONS))
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    assert set(heads) == set(script.get_heads())  # every area's branch is at its head
    assert len(heads) == len(list((MIGRATIONS / "versions").glob("*_0001_*.py")))
