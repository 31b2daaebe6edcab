"""The terminal's local face gallery: an SQLite file with `secure_delete` (format: models/face.py).

It holds the gallery as the hub sealed it: each person's template tokens (under their person
key), the person keys, the version and the checksum; the templates are opened in memory only
(rule PRIV-1: nothing is written in clear, no temporary file). SQLite runs with
`secure_delete=ON` (deleted rows are overwritten with zeros, in the file and its free pages)
and in WAL mode checkpointed and truncated after every change, so an erased person's row is
overwritten in place in the file. A replacement is one transaction: the old version stays
whole on any error. Erasing one person deletes their row and their key, and recomputes the
checksum of what is left.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from pathlib import Path

from edge.face.matcher import DEFAULT_MARGIN, DEFAULT_THRESHOLD, Matcher
from models.face import (
    GalleryData,
    GalleryError,
    SealedGallery,
    SealedPerson,
    checksum_of,
    open_keys,
    open_sealed,
    plaintext,
    readable,
)

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS person (
    staff_id TEXT PRIMARY KEY, name TEXT NOT NULL, templates TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS person_key (staff_id TEXT PRIMARY KEY, key TEXT NOT NULL);
"""


def gallery_matcher(
    data: GalleryData, threshold: float = DEFAULT_THRESHOLD, margin: float = DEFAULT_MARGIN
) -> Matcher:
    """A matcher over a gallery's templates."""
    return Matcher(
        {p.staff_id: p.templates for p in data.people}, threshold=threshold, margin=margin
    )


def open_store(path: Path) -> sqlite3.Connection:
    """An SQLite connection with secure_delete on, WAL and full sync (shared by tests)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA secure_delete=ON")  # rule PRIV-1: deleted rows are zeroed
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    # rule PRIV-1: an erasure cut by a crash after its commit lives in the WAL only, the old
    # page (key and templates) still in the file: write the WAL back before anything else
    _truncate_wal(db)
    db.executescript(_SCHEMA)
    return db


class LocalGallery:
    """The gallery store of one terminal; the hall key opens what the hub sent."""

    def __init__(self, path: str | Path, key: bytes) -> None:
        self.path = Path(path)
        self._key = key
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                self._db = open_store(self.path)
            except sqlite3.DatabaseError as exc:
                raise GalleryError(f"{self.path}: not a gallery store: {exc}") from None
        return self._db

    def close(self) -> None:
        """Close the store (a later call opens it again); waits for a change under way."""
        with self._lock:  # a command thread may be writing: closing under it would crash
            if self._db is not None:
                self._db.close()
                self._db = None

    def _sealed(self, db: sqlite3.Connection) -> tuple[SealedGallery, dict[str, bytes]] | None:
        meta = dict(db.execute("SELECT k, v FROM meta").fetchall())
        if "version" not in meta:
            return None
        people = tuple(
            SealedPerson(staff_id, name, tuple(json.loads(templates)))
            for staff_id, name, templates in db.execute(
                "SELECT staff_id, name, templates FROM person ORDER BY staff_id"
            )
        )
        keys = {sid: k.encode("ascii") for sid, k in db.execute("SELECT * FROM person_key")}
        return SealedGallery(int(meta["version"]), meta["checksum"], people), keys

    def load(self) -> GalleryData | None:
        """The stored gallery, readable, or None when there is none yet."""
        with self._lock:
            try:
                held = self._sealed(self._conn())
            except sqlite3.DatabaseError as exc:
                raise GalleryError(f"{self.path}: not a gallery store: {exc}") from None
        if held is None:
            return None
        sealed, keys = held
        return readable(sealed, keys)

    def replace(self, version: int, checksum: str, blob: str, keys: str) -> GalleryData:
        """Verify a new version and swap it in as one transaction; the old one stays on error."""
        sealed = open_sealed(blob, checksum, self._key)
        if sealed.version != version:
            raise GalleryError(f"gallery says version {sealed.version}, command says {version}")
        person_keys = open_keys(keys, self._key) if keys else {}
        data = readable(sealed, person_keys)  # every template must open before it is kept
        with self._lock:
            db = self._conn()
            with _transaction(db):
                db.execute("DELETE FROM person")
                db.execute("DELETE FROM person_key")
                db.executemany(
                    "INSERT INTO person VALUES (?, ?, ?)",
                    [(p.staff_id, p.name, json.dumps(list(p.tokens))) for p in sealed.people],
                )
                db.executemany(
                    "INSERT INTO person_key VALUES (?, ?)",
                    [(sid, k.decode("ascii")) for sid, k in person_keys.items()],
                )
                db.executemany(
                    "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    [("version", str(version)), ("checksum", checksum)],
                )
            _truncate_wal(db)
        logger.info("face gallery version %d held (%d people)", version, len(data.people))
        return data

    def erase(self, staff_id: str) -> GalleryData | None:
        """Remove one staff member's templates and key (rule PRIV-1); the gallery now held."""
        with self._lock:
            db = self._conn()
            held = self._sealed(db)
            if held is None:
                return None
            sealed, keys = held
            people = tuple(p for p in sealed.people if p.staff_id != staff_id)
            checksum = checksum_of(plaintext(sealed.version, people))
            with _transaction(db):
                db.execute("DELETE FROM person WHERE staff_id = ?", (staff_id,))
                db.execute("DELETE FROM person_key WHERE staff_id = ?", (staff_id,))
                db.execute("INSERT OR REPLACE INTO meta VALUES ('checksum', ?)", (checksum,))
            _truncate_wal(db)
            keys.pop(staff_id, None)
        logger.info("face template of %s erased", staff_id)
        return readable(SealedGallery(sealed.version, checksum, people), keys)


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _truncate_wal(db: sqlite3.Connection) -> None:
    """Write the WAL back into the file (overwriting old pages in place) and empty it."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
