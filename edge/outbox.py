"""The agent's durable outbox: every event is committed to SQLite before it is published.

One SQLite file (WAL) per agent; rows carry their device id. A fact leaves only when the hub
has acknowledged storing it (`cover`: the hub's retained acknowledgement, models/ack.py,
applied by edge/sender.py); a heartbeat when the broker has it (PUBACK, `delete`). So a kill -9
or a power cut of the agent, the broker or the hub loses nothing that `append` returned for:
the facts not covered are published again, per device in insertion order.

Sequence numbers: each device's facts are numbered 1, 2, 3... with no gaps; the counter lives
in the same database and is advanced in the same transaction as the insert. A heartbeat is not
counted: it carries the device's latest fact seq (models/envelope.py).

Durability: facts are committed with `synchronous=FULL` (fsync of the WAL at commit: survives
power loss); heartbeats and deletions with `synchronous=NORMAL` (survive a crash of the process,
not of the machine: a lost deletion only means a harmless re-send, a lost heartbeat nothing).

Capacity policy (capacity N rows, shared by the agent's devices):

- A heartbeat replaces the device's older unsent heartbeat, so an offline device queues one.
- At >= 80 % of N the alert `outbox_nearly_full` (warning) is raised once; it is cleared when
  the outbox drains below 60 % (hysteresis, so it does not flap).
- At N rows, heartbeats are refused (models.events.DROPPABLE) and, when a fact arrives, queued
  heartbeats are dropped first to make room. Facts are NEVER dropped or refused: beyond N they
  are still stored (the disk is the limit) and the critical alert `outbox_full` is raised once;
  it is cleared when the outbox drains below 80 % of N.
- Alert state is kept in the database, so an alert is raised once even across restarts.
  Listeners (`add_listener`) are called with each change, outside the outbox lock; the device
  runtime turns them into `device_fault` events.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

logger = logging.getLogger(__name__)

NEARLY_FULL_AT = 0.8
NEARLY_FULL_CLEAR_BELOW = 0.6
FULL_CLEAR_BELOW = 0.8

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device TEXT NOT NULL,
    seq INTEGER NOT NULL,
    fact INTEGER NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_by_device ON outbox (device, id);
CREATE INDEX IF NOT EXISTS outbox_facts_by_seq ON outbox (device, seq) WHERE fact = 1;
CREATE TABLE IF NOT EXISTS seqs (device TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (code TEXT PRIMARY KEY, active INTEGER NOT NULL);
"""

AlertCode = Literal["outbox_nearly_full", "outbox_full"]


@dataclass(frozen=True, slots=True)
class Row:
    """One queued message: its row id (the publishing order), device, seq, topic and bytes."""

    id: int
    device: str
    seq: int
    fact: bool
    topic: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Alert:
    """A change of the outbox's pressure alert, for the runtime to report as a device_fault."""

    code: AlertCode
    active: bool
    depth: int
    capacity: int

    @property
    def severity(self) -> Literal["warning", "critical"]:
        """`outbox_full` is critical (facts are stored past capacity), nearly-full a warning."""
        return "critical" if self.code == "outbox_full" else "warning"

    @property
    def message(self) -> str:
        """One line for the operator."""
        what = "full" if self.code == "outbox_full" else "nearly full"
        state = "" if self.active else "no longer "
        return f"outbox {state}{what}: {self.depth} of {self.capacity} rows queued"


BuildPayload = Callable[[int], tuple[str, bytes]]
"""Given the seq to use, return (topic, payload); called inside the insert transaction."""


class Outbox:
    """A durable, bounded, ordered queue of outgoing messages shared by one agent's devices."""

    def __init__(
        self, path: Path, capacity: int = 100_000, *, fact_sync: Literal["full", "normal"] = "full"
    ) -> None:
        if capacity < 1:
            raise ValueError("outbox capacity must be at least 1")
        self.path = Path(path)
        self.capacity = capacity
        self._fact_sync = fact_sync.upper()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._sync = ""
        self._set_sync("FULL")
        self._db.executescript(_SCHEMA)
        self._depth = 0
        self._alerts: dict[str, bool] = {}
        self._reload()
        self._listeners: list[Callable[[Alert], None]] = []

    # ---- writing ---------------------------------------------------------------------------

    def append(self, device: str, *, fact: bool, build: BuildPayload) -> Row | None:
        """Store one message durably; None when a heartbeat is refused because the box is full.

        For a fact the device's seq is advanced in the same transaction; for a heartbeat the
        latest fact seq is passed to `build` and older unsent heartbeats of the device go.
        """
        with self._lock:
            if not fact and self._depth >= self.capacity:
                logger.debug("outbox full: heartbeat of %s refused", device)
                return None
            rows, alerts = self._transaction(device, fact, [build])
        self._notify(alerts)
        return rows[0]

    def append_facts(self, device: str, builds: Sequence[BuildPayload]) -> list[Row]:
        """Store several facts of one device in one transaction (one fsync): seqs in order."""
        if not builds:
            return []
        with self._lock:
            rows, alerts = self._transaction(device, True, builds)
        self._notify(alerts)
        return rows

    def _transaction(
        self, device: str, fact: bool, builds: Sequence[BuildPayload]
    ) -> tuple[list[Row], list[Alert]]:
        self._set_sync(self._fact_sync if fact else "NORMAL")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            rows = [self._insert(device, fact, build) for build in builds]
            alerts = self._update_alerts(stored_fact=fact)
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        return rows, alerts

    def _rollback(self) -> None:
        """Undo the open transaction without hiding the error that made it fail.

        After a full disk or an I/O error SQLite may have rolled back already: a ROLLBACK then
        raises "no transaction is active", which must not replace the outbox's own error.
        """
        try:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            self._reload()
        except sqlite3.Error as exc:
            logger.warning("outbox: rollback after a failed write: %s", exc)

    def _insert(self, device: str, fact: bool, build: BuildPayload) -> Row:
        db = self._db
        if fact:
            if self._depth >= self.capacity:  # make room: heartbeats go first, facts never
                self._depth -= db.execute("DELETE FROM outbox WHERE fact = 0").rowcount
            seq = db.execute(
                "INSERT INTO seqs (device, last_seq) VALUES (?, 1) ON CONFLICT (device) "
                "DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq",
                (device,),
            ).fetchone()[0]
        else:
            found = db.execute("SELECT last_seq FROM seqs WHERE device = ?", (device,)).fetchone()
            seq = found[0] if found else 0
            self._depth -= db.execute(
                "DELETE FROM outbox WHERE device = ? AND fact = 0", (device,)
            ).rowcount
        topic, payload = build(seq)
        row_id = db.execute(
            "INSERT INTO outbox (device, seq, fact, topic, payload, created) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (device, seq, int(fact), topic, payload, time.time()),
        ).lastrowid
        self._depth += 1
        assert row_id is not None
        return Row(row_id, device, seq, fact, topic, payload)

    def cover(self, device: str, seq: int) -> int | None:
        """Remove the device's facts up to `seq`, which the hub has stored; how many went.

        None, removing nothing, when `seq` is beyond the device's latest fact: such an
        acknowledgement belongs to an earlier numbering (the outbox was wiped and counts from 1
        again) and covers none of these facts.
        """
        with self._lock:
            found = self._db.execute(
                "SELECT last_seq FROM seqs WHERE device = ?", (device,)
            ).fetchone()
            if seq > (found[0] if found else 0):
                return None
            self._set_sync("NORMAL")  # a lost removal only means a harmless re-send
            self._db.execute("BEGIN IMMEDIATE")
            try:
                removed = self._db.execute(
                    "DELETE FROM outbox WHERE device = ? AND fact = 1 AND seq <= ?", (device, seq)
                ).rowcount
                self._depth -= removed
                alerts = self._update_alerts(stored_fact=False)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self._reload()
                raise
        self._notify(alerts)
        return removed

    def delete(self, row_ids: Iterable[int]) -> None:
        """Remove rows by id (heartbeats the broker took), in one transaction."""
        ids = list(row_ids)
        if not ids:
            return
        with self._lock:
            self._set_sync("NORMAL")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                removed = 0
                for start in range(0, len(ids), 500):
                    chunk = ids[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    removed += self._db.execute(
                        f"DELETE FROM outbox WHERE id IN ({marks})", chunk
                    ).rowcount
                self._depth -= removed
                alerts = self._update_alerts(stored_fact=False)
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        self._notify(alerts)

    # ---- reading ---------------------------------------------------------------------------

    def pending(self, device: str, after_id: int = 0, limit: int = 100) -> list[Row]:
        """The device's queued rows after `after_id`, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, device, seq, fact, topic, payload FROM outbox "
                "WHERE device = ? AND id > ? ORDER BY id LIMIT ?",
                (device, after_id, limit),
            ).fetchall()
        return [Row(r[0], r[1], r[2], bool(r[3]), r[4], bytes(r[5])) for r in rows]

    def last_seq(self, device: str) -> int:
        """The seq of the device's latest fact (0 before the first)."""
        with self._lock:
            found = self._db.execute(
                "SELECT last_seq FROM seqs WHERE device = ?", (device,)
            ).fetchone()
        return int(found[0]) if found else 0

    def depth(self, device: str | None = None) -> int:
        """Rows queued, for the whole agent or for one device."""
        if device is None:
            return self._depth
        with self._lock:
            return int(
                self._db.execute(
                    "SELECT COUNT(*) FROM outbox WHERE device = ?", (device,)
                ).fetchone()[0]
            )

    def alert_active(self, code: AlertCode) -> bool:
        """Whether this pressure alert is raised now."""
        return self._alerts.get(code, False)

    # ---- alerts ----------------------------------------------------------------------------

    def add_listener(self, listener: Callable[[Alert], None]) -> None:
        """Call `listener` with every raised or cleared alert."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Alert], None]) -> None:
        """Stop calling `listener`."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _update_alerts(self, *, stored_fact: bool) -> list[Alert]:
        depth, cap = self._depth, self.capacity
        wanted = {
            "outbox_nearly_full": (
                depth >= NEARLY_FULL_AT * cap,
                depth < NEARLY_FULL_CLEAR_BELOW * cap,
            ),
            "outbox_full": (stored_fact and depth > cap, depth < FULL_CLEAR_BELOW * cap),
        }
        changes = []
        for code, (raise_it, clear_it) in wanted.items():
            active = self._alerts.get(code, False)
            if (not active and raise_it) or (active and clear_it):
                self._alerts[code] = not active
                self._db.execute(
                    "INSERT INTO alerts (code, active) VALUES (?, ?) ON CONFLICT (code) "
                    "DO UPDATE SET active = excluded.active",
                    (code, int(not active)),
                )
                changes.append(Alert(code, not active, depth, cap))  # type: ignore[arg-type]
        return changes

    def _notify(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            logger.warning("%s (%s)", alert.message, alert.code)
            for listener in list(self._listeners):
                try:
                    listener(alert)
                except Exception:
                    logger.exception("outbox alert listener failed")

    # ---- housekeeping ----------------------------------------------------------------------

    def _reload(self) -> None:
        self._depth = int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
        self._alerts = {c: bool(a) for c, a in self._db.execute("SELECT code, active FROM alerts")}

    def _set_sync(self, mode: str) -> None:
        if mode != self._sync:
            self._db.execute(f"PRAGMA synchronous={mode}")
            self._sync = mode

    def close(self) -> None:
        """Close the database (safe to call twice)."""
        with self._lock, contextlib.suppress(sqlite3.ProgrammingError):
            self._db.close()
