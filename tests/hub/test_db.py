"""The database engine: SQLite commits survive power loss, because ingest acks after them."""

from __future__ import annotations

from pathlib import Path

from hub.db import make_engine


def test_sqlite_commits_are_synced_because_ingest_acks_after_them(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
