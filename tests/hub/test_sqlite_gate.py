"""SQLite writers of one process wait on a lock, not in SQLite's busy sleeps (issue 14 point 8).

The ingest writer stores the display's CommandResult while the projection thread decides the
next key press; before, the second of the two writers met SQLITE_BUSY and slept in SQLite's
busy handler (1, 2, 5, 10... ms) however soon the first committed.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.db import make_engine
from hub.sqlite_gate import file_lock, starts_write


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    eng = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    with eng.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER UNIQUE)")
    yield eng
    eng.dispose()


def _lock(engine: sa.Engine) -> threading.Lock:
    return file_lock(str(engine.url.database))


def test_a_write_transaction_holds_the_files_lock_until_it_ends(engine: sa.Engine) -> None:
    lock = _lock(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM t").scalar()
        assert not lock.locked()  # a read takes nothing
        conn.exec_driver_sql("INSERT INTO t (v) VALUES (1)")
        assert lock.locked()
        conn.commit()
        assert not lock.locked()
        conn.exec_driver_sql("UPDATE t SET v = 2")
        assert lock.locked()
        conn.rollback()
        assert not lock.locked()
    with pytest.raises(ValueError), engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t (v) VALUES (3)")
        raise ValueError("the transaction fails")
    assert not lock.locked()


def test_a_failing_first_write_or_a_closed_connection_lets_go(engine: sa.Engine) -> None:
    lock = _lock(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t (v) VALUES (1)")
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t (v) VALUES (1)")  # refused: unique
    assert not lock.locked()
    raw = engine.raw_connection()
    raw.cursor().execute("INSERT INTO t (v) VALUES (5)")
    assert lock.locked()
    raw.invalidate()  # closes the DBAPI connection with the transaction open
    assert not lock.locked()


def test_a_second_writer_waits_on_the_lock_and_goes_when_the_first_commits(
    engine: sa.Engine,
) -> None:
    lock = _lock(engine)
    started = threading.Event()
    done: list[float] = []

    def second() -> None:
        started.set()
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t (v) VALUES (2)")
        done.append(time.monotonic())

    with engine.connect() as first:
        first.exec_driver_sql("INSERT INTO t (v) VALUES (1)")
        thread = threading.Thread(target=second)
        thread.start()
        started.wait(5)
        time.sleep(0.2)
        assert not done and lock.locked()  # waiting on the lock, not on SQLite's handler
        first.commit()
    thread.join(5)
    assert done
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 2


def test_which_statements_start_a_write() -> None:
    assert starts_write("INSERT INTO event VALUES (1)")
    assert starts_write("  update fact_counter SET last_pos = 1")
    assert starts_write("DELETE FROM outbox")
    assert starts_write("BEGIN IMMEDIATE")
    assert not starts_write("BEGIN")
    assert not starts_write("SELECT 1")
    assert not starts_write("PRAGMA synchronous")


def test_an_in_memory_database_is_not_gated() -> None:
    eng = make_engine("sqlite://")
    with eng.connect() as conn:
        assert type(conn.connection.dbapi_connection).__name__ == "Connection"
    eng.dispose()
