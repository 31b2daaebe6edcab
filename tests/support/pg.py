"""Fresh PostgreSQL databases for the tests, on the machine's server (127.0.0.1:5432)."""

from __future__ import annotations

import os
import uuid

import psycopg

ADMIN_DSN = os.environ.get("HK_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


def create_database(prefix: str = "hk_test", template: str | None = None) -> tuple[str, str]:
    """Create a new database, empty or a copy of `template` (a database nobody is connected
    to); return (name, SQLAlchemy URL)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    base = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return name, f"{base}/{name}"


def drop_database(name: str) -> None:
    """Drop a database made by create_database, closing its connections."""
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
