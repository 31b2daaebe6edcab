"""SQL helpers the ingest store shares: a dialect's INSERT ... ON CONFLICT, timestamps as bound."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def dialect_insert(conn: Connection, table: sa.Table) -> Any:
    """A dialect INSERT that supports ON CONFLICT DO NOTHING (SQLite and PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def sqlite_ts(value: datetime) -> str:
    """A timestamp as SQLAlchemy stores DateTime on SQLite: naive UTC, always microseconds."""
    if value.tzinfo is None:
        return value.isoformat(" ", "microseconds")
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:-6]  # without "+00:00"


def db_ts(sqlite_style: bool) -> Any:
    """How timestamps are passed to the driver: SQLAlchemy's SQLite text, or as they are."""
    return sqlite_ts if sqlite_style else (lambda value: value)
