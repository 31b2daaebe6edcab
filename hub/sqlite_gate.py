"""One writer at a time per SQLite file in this process, waiting on a lock, not in SQLite's sleeps.

SQLite lets one connection write at a time. A second writer gets SQLITE_BUSY, and the busy
handler behind the driver's `timeout` retries it after sleeping 1, 2, 5, 10, 15... ms: a write
that arrives while another transaction of ~1 ms is committing waits 1-3 ms more than it needs
to, and more under load (issue 14: the display's CommandResult stored on the ingest writer
while the next key press is decided on the projection thread). Within one process, the
connections `hub.db.make_engine` opens to a file share a lock instead: a transaction takes it
when it starts writing (its first INSERT, UPDATE, DELETE, REPLACE or BEGIN IMMEDIATE, the
statement before which pysqlite begins the transaction) and lets go of it when it commits,
rolls back or the connection closes; the next writer wakes the moment it is free. Reads take
nothing (WAL readers never wait). Other processes still meet SQLite's busy handler, and a
writer that waited `timeout` seconds for the lock goes ahead anyway, as before: never worse
than SQLite alone.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def file_lock(database: str) -> threading.Lock:
    """The writers' lock of one database file in this process."""
    if not database.startswith("file:"):
        database = os.path.realpath(database)
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(database, threading.Lock())


def starts_write(sql: str) -> bool:
    """True for a statement before which SQLite takes its write lock (pysqlite's implicit
    BEGIN comes before a DML statement; an explicit BEGIN IMMEDIATE/EXCLUSIVE writes at once)."""
    head = sql.lstrip()[:16].upper()
    if head.startswith(_WRITES):
        return True
    return head.startswith("BEGIN") and ("IMMEDIATE" in head or "EXCLUSIVE" in head)


class GatedConnection(sqlite3.Connection):
    """A pysqlite connection whose write transactions hold the file's lock (module docstring)."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self.gate = file_lock(str(database))
        self.wait_s = float(kwargs.get("timeout", 5.0))
        self.holds = False

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or GatedCursor)

    def enter_write(self, sql: str) -> None:
        """Take the lock before a statement that starts a write transaction."""
        if self.holds and not self.in_transaction:
            self.leave()  # the transaction ended without commit() (SQLite rolled it back)
        if not self.holds and not self.in_transaction and starts_write(sql):
            self.holds = self.gate.acquire(timeout=self.wait_s)

    def leave(self) -> None:
        """Let go of the lock (the transaction is over)."""
        if self.holds:
            self.holds = False
            self.gate.release()

    def after_statement(self) -> None:
        """A statement failed or ran outside a transaction: hold nothing without one."""
        if self.holds and not self.in_transaction:
            self.leave()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self.leave()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.leave()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.leave()


class GatedCursor(sqlite3.Cursor):
    """A cursor that takes its connection's write lock before the first write statement."""

    def execute(self, sql: str, parameters: Any = (), /) -> GatedCursor:
        conn: GatedConnection = self.connection  # type: ignore[assignment]
        conn.enter_write(sql)
        try:
            super().execute(sql, parameters)
        finally:
            conn.after_statement()
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> GatedCursor:
        conn: GatedConnection = self.connection  # type: ignore[assignment]
        conn.enter_write(sql)
        try:
            super().executemany(sql, seq_of_parameters)
        finally:
            conn.after_statement()
        return self
