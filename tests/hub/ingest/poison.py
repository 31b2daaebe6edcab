"""A real database-side refusal for tests: a trigger that refuses events of `poison*` devices.

No mock: the database itself raises, as it would on a value it cannot store. On PostgreSQL the
SQLSTATE can be chosen, so a test can also make it look like a transient (operational) error.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

POISON_PREFIX = "poison"
"""Devices whose names start with this are refused by the trigger."""


def install_poison_trigger(engine: Engine, sqlstate: str = "P0001") -> None:
    """Make the database refuse every event row of a `poison*` device."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER poison_fact BEFORE INSERT ON event "
                f"WHEN NEW.device LIKE '{POISON_PREFIX}%' "
                "BEGIN SELECT RAISE(ABORT, 'poisoned fact refused by the database'); END"
            )
            return
        conn.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION poison_fact() RETURNS trigger AS $$ BEGIN "
            f"IF starts_with(NEW.device, '{POISON_PREFIX}') THEN "
            "RAISE EXCEPTION 'poisoned fact refused by the database' "
            f"USING ERRCODE = '{sqlstate}'; "
            "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER poison_fact BEFORE INSERT ON event "
            "FOR EACH ROW EXECUTE FUNCTION poison_fact()"
        )
