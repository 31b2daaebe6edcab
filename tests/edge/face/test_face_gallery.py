"""The terminal's encrypted gallery: round trip, refusals, atomic replace, erasure (PRIV-1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from edge.face.gallery import LocalGallery, gallery_matcher
from models.face import (
    GalleryError,
    GalleryPerson,
    decrypt_template,
    derive_hall_key,
    load_key,
    new_key,
    open_keys,
    open_sealed,
    readable,
)
from tests.edge.face.photos import sync_body

PEOPLE = [
    GalleryPerson("zhang_san_0001", "张三", ((0.1,) * 128, (0.2,) * 128)),
    GalleryPerson("li_si_0002", "李四", ((0.3,) * 128,)),
]


def test_round_trip_checksum_and_person_keys() -> None:
    key = derive_hall_key(Fernet.generate_key(), "demo")
    body = sync_body(4, PEOPLE, key)
    assert body.checksum.startswith("sha256:") and "张三" not in body.blob
    sealed = open_sealed(body.blob, body.checksum, key)
    data = readable(sealed, open_keys(body.keys, key))
    assert data.version == 4 and data.names() == {"zhang_san_0001": "张三", "li_si_0002": "李四"}
    assert gallery_matcher(data).templates == 3
    # crypto-shredding: without a person's key their templates cannot be read from any copy
    keys = open_keys(body.keys, key)
    del keys["zhang_san_0001"]
    assert readable(sealed, keys).names() == {"li_si_0002": "李四"}
    with pytest.raises(GalleryError, match="does not decrypt"):
        decrypt_template(new_key(), sealed.people[1].tokens[0].encode())
    with pytest.raises(GalleryError, match="checksum"):
        open_sealed(body.blob, "sha256:" + "0" * 64, key)
    with pytest.raises(GalleryError, match="does not decrypt"):
        open_sealed(body.blob, body.checksum, Fernet.generate_key())


def test_hall_keys_differ_per_hall() -> None:
    master = Fernet.generate_key()
    assert derive_hall_key(master, "demo") == derive_hall_key(master, "demo")
    assert derive_hall_key(master, "demo") != derive_hall_key(master, "north")


def test_local_gallery_is_encrypted_at_rest_replaced_and_erased(tmp_path: Path) -> None:
    key = Fernet.generate_key()
    path = tmp_path / "t.gallery"
    g = LocalGallery(path, key)
    assert g.load() is None
    body = sync_body(2, PEOPLE, key)
    g.replace(2, body.checksum, body.blob, body.keys)
    zhang = open_sealed(body.blob, body.checksum, key).people[1]
    zhang_key = open_keys(body.keys, key)["zhang_san_0001"]
    raw = path.read_bytes()
    assert zhang.tokens[0].encode() in raw  # held sealed, as the hub sent it
    assert "张三".encode() not in zhang.tokens[0].encode()
    with pytest.raises(GalleryError, match="version"):
        g.replace(3, body.checksum, body.blob, body.keys)
    bad = sync_body(3, PEOPLE[:1], Fernet.generate_key())
    with pytest.raises(GalleryError):
        g.replace(3, bad.checksum, bad.blob, bad.keys)
    loaded = g.load()
    assert loaded is not None and loaded.version == 2  # the old version stays
    held = g.erase("zhang_san_0001")
    assert held is not None and [p.staff_id for p in held.people] == ["li_si_0002"]
    g.close()
    reloaded = LocalGallery(path, key).load()
    assert reloaded is not None and reloaded.checksum == held.checksum
    assert [p.staff_id for p in reloaded.people] == ["li_si_0002"]
    # rule PRIV-1: the file (free pages included) holds neither the erased templates nor the key
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert zhang_key not in raw and zhang.tokens[0][:40].encode() not in raw
    assert b"zhang_san_0001" not in raw


def test_load_key_from_env_or_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = Fernet.generate_key()
    monkeypatch.delenv("HK_TEST_FACE_KEY", raising=False)
    with pytest.raises(GalleryError, match="no face key"):
        load_key("HK_TEST_FACE_KEY")
    (tmp_path / "k").write_bytes(key + b"\n")
    assert load_key("HK_TEST_FACE_KEY", tmp_path / "k") == key
    monkeypatch.setenv("HK_TEST_FACE_KEY", "not-a-key")
    with pytest.raises(GalleryError, match="not a valid Fernet key"):
        load_key("HK_TEST_FACE_KEY")


CRASH_AFTER_COMMIT = """
import os, sys
from pathlib import Path
from edge.face import gallery
path, key = Path(sys.argv[1]), sys.argv[2].encode()
g = gallery.LocalGallery(path, key)
g.load()
gallery._truncate_wal = lambda db: os._exit(0)  # the power goes after the commit
g.erase("zhang_san_0001")
"""


def test_erasure_cut_by_a_crash_after_its_commit_is_unreadable_once_the_terminal_restarts(
    tmp_path: Path,
) -> None:
    # rule PRIV-1, the crash at the worst moment: the erasure committed to the WAL, the process
    # died before writing it back, so the main file still holds the old page with the key;
    # opening the store again must write the WAL back (zeros over the old page) before anything
    import subprocess
    import sys

    key = Fernet.generate_key()
    path = tmp_path / "t.gallery"
    g = LocalGallery(path, key)
    body = sync_body(2, PEOPLE, key)
    g.replace(2, body.checksum, body.blob, body.keys)
    zhang_key = open_keys(body.keys, key)["zhang_san_0001"]
    g.close()
    done = subprocess.run(
        [sys.executable, "-c", CRASH_AFTER_COMMIT, str(path), key.decode()],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    wal = path.with_name(path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0  # the crash left the erasure in the WAL only
    assert zhang_key in path.read_bytes()  # the worst moment: the old page is still in the file
    restarted = LocalGallery(path, key)
    held = restarted.load()
    assert held is not None and [p.staff_id for p in held.people] == ["li_si_0002"]
    # read while the terminal runs (WAL and shared memory files included), not after a close
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert zhang_key not in raw and b"zhang_san_0001" not in raw
    restarted.close()
