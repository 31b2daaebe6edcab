"""Alembic environment: runs on the connection hub.db.migrate() hands in, or on HK_DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context

import hub.tables
from hub.db import make_engine

target_metadata = hub.tables.metadata
config = context.config


def run() -> None:
    """Run migrations online."""
    conn = config.attributes.get("connection")
    if conn is None:
        engine = make_engine(os.environ.get("HK_DATABASE_URL", "sqlite:///data/hallkeeper.db"))
        with engine.begin() as conn:
            context.configure(
                connection=conn, target_metadata=target_metadata, render_as_batch=True
            )
            context.run_migrations()
        return
    context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
    context.run_migrations()


run()
