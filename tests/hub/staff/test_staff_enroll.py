"""Enrollment quality checks, each with its message; encrypted templates; no raw photos kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.staff.enroll import EnrollmentRefused, PhotoRejected, check_photo, enroll
from hub.staff.keystore import KeyStore
from hub.staff.tables import FaceTemplate, Staff
from models.face import decrypt_template
from tests.edge.face.photos import FRAMES, GALLERY, PROBE


def jpeg(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", image)
    assert ok
    return buf.tobytes()


def photo(path: object) -> bytes:
    return open(str(path), "rb").read()


@pytest.mark.parametrize(
    ("make", "code", "words"),
    [
        (lambda: jpeg(np.full((480, 640, 3), 90, np.uint8)), "no_face", "no face found"),
        (lambda: photo(PROBE / "kit_with_rose.jpg"), "several_faces", "2 faces found"),
        (lambda: photo(FRAMES / "obama-240p.jpg"), "face_too_small", "at least 80 px"),
        (
            lambda: jpeg(cv2.GaussianBlur(cv2.imread(str(FRAMES / "obama-720p.jpg")), (0, 0), 6)),
            "blurred",
            "blurred",
        ),
        (lambda: b"not an image", "not_an_image", "not a readable image"),
    ],
    ids=["no-face", "two-faces", "too-small", "blurred", "not-an-image"],
)
def test_each_quality_failure_has_its_message(make: object, code: str, words: str) -> None:
    with pytest.raises(PhotoRejected) as exc:
        check_photo("p.jpg", make())  # type: ignore[operator]
    assert exc.value.code == code and words in exc.value.message
    assert str(exc.value).startswith("p.jpg: ")


@pytest.fixture
def keys(tmp_path: Path) -> Iterator[KeyStore]:
    store = KeyStore(tmp_path / "face-keys.db", Fernet.generate_key())
    yield store
    store.close()


def test_enroll_stores_encrypted_templates_and_no_photo(
    sqlite_engine: Engine, keys: KeyStore
) -> None:
    photos = [(p.name, photo(p)) for p in sorted((GALLERY / "obama").iterdir())]
    result = enroll(
        sqlite_engine, keys=keys, staff_id="obama", name="Barack Obama", hall="demo", photos=photos
    )
    key = keys.get("obama")
    assert key is not None
    assert (result.templates, result.photos_kept) == (2, False)
    with Session(sqlite_engine) as s:
        staff = s.get(Staff, "obama")
        assert staff is not None and staff.active and staff.created_at.tzinfo is not None
        rows = s.exec(select(FaceTemplate)).all()
    assert len(rows) == 2 and all(r.photo is None for r in rows)  # rule PRIV-1
    vec = decrypt_template(key, rows[0].template)
    assert vec.shape == (128,) and 0.5 < float(np.linalg.norm(vec)) < 2
    assert vec.tobytes() not in rows[0].template  # stored encrypted, not raw


def test_enroll_refuses_all_when_one_photo_is_bad_and_keeps_photos_only_when_asked(
    sqlite_engine: Engine, keys: KeyStore
) -> None:
    good = ("obama2.jpg", photo(GALLERY / "obama" / "obama2.jpg"))
    with pytest.raises(EnrollmentRefused) as exc:
        enroll(
            sqlite_engine,
            keys=keys,
            staff_id="s1",
            name="A",
            hall="demo",
            photos=[good, ("group.jpg", photo(PROBE / "kit_with_rose.jpg"))],
        )
    assert [p.code for p in exc.value.problems] == ["several_faces"]
    with Session(sqlite_engine) as s:
        assert s.exec(select(Staff)).all() == []
    enroll(
        sqlite_engine,
        keys=keys,
        staff_id="s1",
        name="A",
        hall="demo",
        photos=[good],
        keep_photos=True,
    )
    with Session(sqlite_engine) as s:
        (row,) = s.exec(select(FaceTemplate)).all()
    key = keys.get("s1")
    assert key is not None
    assert row.photo is not None and Fernet(key).decrypt(row.photo) == good[1]
