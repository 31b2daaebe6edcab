"""Database engine and schema migration (SQLite with WAL by default, PostgreSQL by URL)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, create_engine

from hub.sqlite_gate import GatedConnection

logger = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite files get WAL, a busy timeout and foreign keys.

    SQLite commits with `synchronous=FULL` (the WAL is synced at every commit): ingest
    acknowledges a message to the broker once its batch is committed, and the broker then
    forgets it, so a commit must survive power loss, not only a crash of the process (as
    PostgreSQL's default `synchronous_commit=on` does). One sync per batch, not per event.
    `secure_delete=ON` overwrites deleted rows with zeros (face templates, rule PRIV-1).
    """
    if url.startswith("sqlite"):
        connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": 30}
        if not _in_memory(url):
            connect_args["factory"] = GatedConnection  # one writer at a time, woken, not slept
        kwargs.setdefault("connect_args", connect_args)
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA secure_delete=ON")  # rule PRIV-1: deleted rows are zeroed
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _in_memory(url: str) -> bool:
    """True for an in-memory SQLite URL (each connection its own database: nothing to share)."""
    database = sa.engine.make_url(url).database
    return database in (None, "", ":memory:") or "mode=memory" in url


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision of every area (`alembic upgrade heads`)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
    logger.info("database schema is up to date (%s)", engine.url.render_as_string(True))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed on success and rolled back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def lock_row(conn: Connection, table: sa.Table, row_id: int) -> None:
    """Take a row's write lock before reading it, so that a second operator's step on the same
    row waits for this transaction and then reads what it wrote (a no-op UPDATE: a row lock on
    PostgreSQL, the database's write lock on SQLite)."""
    conn.execute(sa.update(table).where(table.c.id == row_id).values(id=table.c.id))


def insert_alert_once(
    conn: Connection, table: sa.Table, *, hall: str, kind: str, ref: str, text: str, **values: Any
) -> bool:
    """Store an alert row once per (hall, kind, ref), its text cut to 500 characters, and log it;
    True when it is new (an area's alert table is unique on those three: raising the same alert
    again adds nothing)."""
    seen = conn.execute(
        sa.select(table.c.id).where(table.c.hall == hall, table.c.kind == kind, table.c.ref == ref)
    ).first()
    if seen:
        return False
    conn.execute(sa.insert(table).values(hall=hall, kind=kind, ref=ref, text=text[:500], **values))
    logger.warning("%s %s %s: %s", table.name, hall, kind, text)
    return True
