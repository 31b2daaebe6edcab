"""Leaving the hall makes a person's templates unreadable everywhere (rule PRIV-1).

Reads the raw bytes of every file: the hub's SQLite database and its WAL (free pages
included), the key store, a terminal's gallery store, and a backup of the database taken before
the person left. Every Fernet token found is tried with every key the hub and the terminal
still hold (master key, hall key, every person key left): none opens to a template of theirs.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from cryptography.fernet import Fernet, InvalidToken

from edge.face.gallery import LocalGallery
from hub.commands import RecordingSender
from hub.db import make_engine, migrate
from hub.staff.crypto import hall_key
from hub.staff.enroll import store_enrollment
from hub.staff.gallery_sync import GallerySync
from hub.staff.keystore import KeyStore
from models.commands import EraseTemplate, SyncGallery
from models.layout import load_hall
from tests.hub.staff.test_staff_gallery_sync import HALL_DIR

T0 = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
TOKEN = re.compile(rb"gAAAAA[A-Za-z0-9_=-]{80,}")


def raw(folder: Path) -> bytes:
    """Every byte of every file under `folder`."""
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def openable(data: bytes, keys: list[bytes]) -> list[bytes]:
    """Plaintexts of the Fernet tokens in `data` that any of `keys` opens."""
    out = []
    for found in set(TOKEN.findall(data)):
        # a token may run into the next column's text: try each length a token can have
        for end in range(len(found) - len(found) % 4, 99, -4):
            for key in keys:
                try:
                    out.append(Fernet(key).decrypt(found[:end]))
                except InvalidToken:
                    continue
    return out


def test_leaving_makes_templates_unreadable_in_every_file(tmp_path: Path) -> None:
    hub_dir = tmp_path / "hub"
    hub_dir.mkdir()
    sqlite_engine = make_engine(f"sqlite:///{hub_dir / 'hub.db'}")
    migrate(sqlite_engine)
    master = Fernet.generate_key()
    keys = KeyStore(hub_dir / "face-keys.db", master)
    sender = RecordingSender()
    sync = GallerySync(sqlite_engine, master, [load_hall(HALL_DIR)], sender, lambda: T0, keys=keys)
    rng = np.random.default_rng(7)
    leaving = [rng.normal(size=128).astype("<f4") * 0.1 for _ in range(3)]
    store_enrollment(
        sqlite_engine,
        keys=keys,
        staff_id="leaver",
        name="离职者",
        hall="demo",
        encodings=leaving,
        photos=[b"JPEG-PHOTO-OF-THE-LEAVER"],
        now=T0,
    )
    store_enrollment(
        sqlite_engine,
        keys=keys,
        staff_id="stayer",
        name="在职者",
        hall="demo",
        encodings=[rng.normal(size=128) * 0.1],
        now=T0,
    )
    person_key = keys.get("leaver")
    assert person_key is not None
    sync.publish("demo")
    terminal = LocalGallery(tmp_path / "terminal" / "ent-face1.gallery", hall_key(master, "demo"))
    body = sender.sent[0][2]
    assert isinstance(body, SyncGallery)
    terminal.replace(body.version, body.checksum, body.blob, body.keys)
    backup = tmp_path / "backup"
    shutil.copytree(hub_dir, backup)  # a backup of the hub taken while the person worked here
    secrets = [v.tobytes() for v in leaving]
    assert any(p in secrets for p in openable(raw(backup), [person_key]))  # readable before

    sender.sent.clear()
    sync.remove("leaver")
    for _, _, cmd in sender.sent:
        if isinstance(cmd, EraseTemplate) and cmd.staff_id == "leaver":
            terminal.erase(cmd.staff_id)
            break
    # read while the hub and the terminal still run: their WAL files are part of what is read
    running = {"hub": raw(hub_dir), "terminal": raw(tmp_path / "terminal")}
    assert (hub_dir / "hub.db-wal").exists()  # the hub's WAL is there, and read
    still = [master, hall_key(master, "demo"), keys.get("stayer") or b""]
    for where, data in running.items():
        assert not any(p in secrets for p in openable(data, still)), where
        assert person_key not in data, where
    terminal.close()
    keys.close()
    sqlite_engine.dispose()

    # every key still held anywhere: master, hall key, the stayer's key
    reopened = KeyStore(hub_dir / "face-keys.db", master)
    held = [master, hall_key(master, "demo")]
    held += [k for k in [reopened.get("stayer"), reopened.get("leaver")] if k is not None]
    assert reopened.get("leaver") is None
    reopened.close()
    for where in (hub_dir, tmp_path / "terminal", backup):
        data = raw(where)
        opened = openable(data, held)
        assert not any(p in secrets for p in opened), where
        assert b"JPEG-PHOTO-OF-THE-LEAVER" not in b"".join(opened)
        assert person_key not in data, where  # the key itself is nowhere, free pages included
    # the leaver's rows were overwritten with zeros in the hub's files (secure_delete)
    hub_raw = raw(hub_dir)
    assert b"leaver" not in raw(tmp_path / "terminal")
    assert hub_raw.count(b"JPEG-PHOTO") == 0


CRASH_AFTER_COMMIT = """
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA secure_delete=ON")  # as KeyStore.delete runs it
db.execute("DELETE FROM person_key WHERE staff_id = 'leaver'")
os._exit(0)  # the power goes after the commit, before the WAL is written back
"""


def test_a_key_deletion_cut_by_a_crash_is_unreadable_once_the_hub_restarts(
    tmp_path: Path,
) -> None:
    # rule PRIV-1, the crash at the worst moment: the deletion is in the WAL only and the old
    # page with the wrapped key still in the file; the key store opened again writes it back
    import sqlite3
    import subprocess
    import sys

    master = Fernet.generate_key()
    path = tmp_path / "face-keys.db"
    keys = KeyStore(path, master)
    keys.rotate("leaver")
    keys.rotate("stayer")
    keys.close()
    with sqlite3.connect(path) as db:
        (wrapped,) = db.execute(
            "SELECT wrapped FROM person_key WHERE staff_id = 'leaver'"
        ).fetchone()
    db.close()
    done = subprocess.run(
        [sys.executable, "-c", CRASH_AFTER_COMMIT, str(path)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "face-keys.db-wal").stat().st_size > 0
    assert bytes(wrapped) in path.read_bytes()  # the old page, still in the file
    reopened = KeyStore(path, master)
    assert reopened.get("leaver") is None and reopened.get("stayer") is not None
    assert bytes(wrapped) not in raw(tmp_path)  # file, WAL and shared memory, while it runs
    reopened.close()
