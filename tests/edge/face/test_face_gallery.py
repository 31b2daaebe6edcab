"""The terminal's encrypted gallery: round trip, refusals, atomic replace, erasure (PRIV-1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from edge.face.gallery import LocalGallery, gallery_matcher
from models.face import (
    GalleryError,
    GalleryPerson,
    build_gallery,
    derive_hall_key,
    load_key,
    open_gallery,
)

PEOPLE = [
    GalleryPerson("zhang_san_0001", "张三", ((0.1,) * 128, (0.2,) * 128)),
    GalleryPerson("li_si_0002", "李四", ((0.3,) * 128,)),
]


def test_round_trip_and_checksum(tmp_path: Path) -> None:
    key = derive_hall_key(Fernet.generate_key(), "demo")
    blob, checksum = build_gallery(4, PEOPLE, key)
    assert checksum.startswith("sha256:") and "张三" not in blob
    data = open_gallery(blob, checksum, key)
    assert data.version == 4 and data.names() == {"zhang_san_0001": "张三", "li_si_0002": "李四"}
    assert gallery_matcher(data).templates == 3
    with pytest.raises(GalleryError, match="checksum"):
        open_gallery(blob, "sha256:" + "0" * 64, key)
    with pytest.raises(GalleryError, match="does not decrypt"):
        open_gallery(blob, checksum, Fernet.generate_key())


def test_hall_keys_differ_per_hall() -> None:
    master = Fernet.generate_key()
    assert derive_hall_key(master, "demo") == derive_hall_key(master, "demo")
    assert derive_hall_key(master, "demo") != derive_hall_key(master, "north")


def test_local_gallery_is_encrypted_at_rest_replaced_and_erased(tmp_path: Path) -> None:
    key = Fernet.generate_key()
    g = LocalGallery(tmp_path / "t.gallery", key)
    assert g.load() is None
    blob, checksum = build_gallery(2, PEOPLE, key)
    g.replace(2, checksum, blob)
    raw = (tmp_path / "t.gallery").read_bytes()
    assert b"zhang_san_0001" not in raw and "张三".encode() not in raw  # rule PRIV-1
    with pytest.raises(GalleryError, match="version"):
        g.replace(3, checksum, blob)
    bad_blob, bad_sum = build_gallery(3, PEOPLE[:1], Fernet.generate_key())
    with pytest.raises(GalleryError):
        g.replace(3, bad_sum, bad_blob)
    loaded = g.load()
    assert loaded is not None and loaded.version == 2  # the old version stays
    held = g.erase("zhang_san_0001")
    assert held is not None and [p.staff_id for p in held.people] == ["li_si_0002"]
    reloaded = LocalGallery(tmp_path / "t.gallery", key).load()
    assert reloaded is not None and reloaded.checksum == held.checksum
    assert [p.staff_id for p in reloaded.people] == ["li_si_0002"]
    assert list(tmp_path.iterdir()) == [tmp_path / "t.gallery"]  # no temp files left


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
