"""compliance_0002: the two tables nothing used (the duty chief's checks, rule POST-8, are the
duty area's) are dropped, and a downgrade makes them again; on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from hub.db import MIGRATIONS, make_engine, migrate

DEAD = {"compliance_duty_check", "compliance_duty_check_entry"}


def test_the_unused_duty_check_tables_are_dropped(db_url: str) -> None:
    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))

    def tables() -> set[str]:
        return set(sa.inspect(engine).get_table_names())

    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "compliance_0001")
    assert tables() >= DEAD  # as every hub made them
    migrate(engine)
    assert not tables() & DEAD
    assert {"duty_check", "duty_check_item"} <= tables()  # POST-8's own tables stay
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "compliance_0001")
    assert tables() >= DEAD
    engine.dispose()
