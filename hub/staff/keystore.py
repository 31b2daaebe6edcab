"""The person keys (crypto-shredding, rule PRIV-1): one Fernet key per staff member.

Kept in an SQLite file of their own, apart from the hub's database, so that database backups
never hold them: a person's templates (in the database, its free pages, its backups and every
gallery version ever sent) are tokens under their key, and deleting the key makes all of them
unreadable. Each key is stored wrapped under the master key. The file runs with
`secure_delete=ON`, in WAL mode checkpointed and truncated after every change, so a deleted key
is overwritten in place. Back it up apart from the database, if at all: losing it only means
enrolling everyone again. Its path: $HK_FACE_KEYSTORE, else `face-keys.db` beside a SQLite
database, else `data/face-keys.db`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.engine import Engine

from hub.staff.crypto import FaceKeyError
from models.face import new_key

logger = logging.getLogger(__name__)
KEYSTORE_ENV = "HK_FACE_KEYSTORE"


def default_path(engine: Engine) -> Path:
    """Where the key store lives for the hub's database (see the module text)."""
    env = os.environ.get(KEYSTORE_ENV)
    if env:
        return Path(env)
    database = engine.url.database
    if engine.url.get_backend_name() == "sqlite" and database not in (None, "", ":memory:"):
        return Path(str(database)).resolve().parent / "face-keys.db"
    return Path("data/face-keys.db")


class KeyStore:
    """Person keys wrapped under the master key, in their own SQLite file."""

    def __init__(self, path: str | Path, master: bytes) -> None:
        self.path = Path(path)
        self._master = Fernet(master)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        # rule PRIV-1: a key deletion cut by a crash after its commit is in the WAL only, the
        # old page (the wrapped key) still in the file: write the WAL back first
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS person_key ("
            "staff_id TEXT PRIMARY KEY, wrapped BLOB NOT NULL, created_at TEXT NOT NULL)"
        )
        if self.path.stat().st_mode & 0o077:
            self.path.chmod(0o600)

    def get(self, staff_id: str) -> bytes | None:
        """The person's key, or None when they have none (never enrolled, or erased)."""
        with self._lock:
            row = self._db.execute(
                "SELECT wrapped FROM person_key WHERE staff_id = ?", (staff_id,)
            ).fetchone()
        if row is None:
            return None
        try:
            return self._master.decrypt(row[0])
        except InvalidToken:
            raise FaceKeyError("the face key store does not open with this master key") from None

    def rotate(self, staff_id: str) -> bytes:
        """A new key for the person (enrollment): templates under the old key are lost."""
        key = new_key()
        now = datetime.now(UTC).isoformat()
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO person_key VALUES (?, ?, ?)",
                (staff_id, self._master.encrypt(key), now),
            )
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return key

    def delete(self, staff_id: str) -> bool:
        """Destroy the person's key (crypto-shredding); True if there was one."""
        with self._lock:
            cur = self._db.execute("DELETE FROM person_key WHERE staff_id = ?", (staff_id,))
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if cur.rowcount:
            logger.info("person key of %s destroyed", staff_id)
        return bool(cur.rowcount)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()
