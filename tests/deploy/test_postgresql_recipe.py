"""deploy/postgresql/README.md: its role-and-database SQL, run on the machine's PostgreSQL."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa

from hub.db import make_engine, migrate
from tests.deploy.securebroker import DEPLOY
from tests.support.pg import ADMIN_DSN

README = DEPLOY / "postgresql" / "README.md"


def recipe_statements(name: str, password: str) -> list[str]:
    """The SQL block between the recipe markers, for role and database `name`."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- recipe:sql -->\s*```sql\n(.*?)```\s*<!-- /recipe:sql -->", text, re.S)
    assert block, "the recipe block is missing from the README"
    sql = re.sub(r"\bhallkeeper\b", name, block.group(1)).replace("'change-me'", f"'{password}'")
    return [s.strip() for s in sql.split(";") if s.strip()]


@pytest.fixture
def recipe_db() -> Iterator[tuple[str, str]]:
    """Run the recipe as the superuser; yield (name, URL as the new role); drop all after."""
    name, password = f"hk_recipe_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        for statement in recipe_statements(name, password):
            conn.execute(statement)
    host = ADMIN_DSN.split("@", 1)[1].rsplit("/", 1)[0]
    yield name, f"postgresql+psycopg://{name}:{password}@{host}/{name}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'DROP ROLE IF EXISTS "{name}"')
        conn.execute(f'DROP ROLE IF EXISTS "{name}_other"')


def test_recipe_role_owns_and_migrates_its_database_without_superuser(recipe_db):
    _name, url = recipe_db
    engine = make_engine(url)
    try:
        migrate(engine)  # every area's tables, created by the recipe's role
        with engine.connect() as conn:
            assert (
                conn.execute(
                    sa.text(
                        "SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user"
                    )
                ).scalar()
                is False
            )
            assert conn.execute(sa.text("SHOW timezone")).scalar() == "UTC"
            tables = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                    "AND tableowner = current_user"
                )
            ).scalar()
            assert tables and tables > 3
    finally:
        engine.dispose()


def test_recipe_database_is_closed_to_other_roles(recipe_db):
    name, _url = recipe_db
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{name}_other" LOGIN')
    other = ADMIN_DSN.replace("postgres@", f"{name}_other@").rsplit("/", 1)[0] + f"/{name}"
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        psycopg.connect(other).close()
