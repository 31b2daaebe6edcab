"""Rule PRIV-1: an uploaded face photo is never written unencrypted to a temporary file, whatever
its size: a body over the hub's limit is refused (413, in Chinese on a page) and every part
taken stays in memory (hub/api/uploads.py)."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI, UploadFile
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from starlette.formparsers import MultiPartParser

from hub.api.uploads import MAX_UPLOAD_BYTES
from hub.staff.api import MAX_PHOTO_BYTES
from hub.users.accounts import Role
from tests.hub.dashboard.conftest import form_login
from tests.support.auth import PASSWORD, full_app, make_user

_opened: list[str] | None = None
"""While a test watches: every file opened in the temporary folder (an audit hook sees it)."""
_spool_dir = ""


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _opened is None or event not in ("open", "tempfile.mkstemp"):
        return
    path = args[0]
    if isinstance(path, str | bytes | Path) and str(path).startswith(_spool_dir):
        _opened.append(f"{event} {path}")


sys.addaudithook(_audit)


@pytest.fixture
def temp_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The files opened in the (test's own) temporary folder while the test runs."""
    global _opened, _spool_dir
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    _spool_dir, _opened = str(spool), []
    try:
        yield _opened
    finally:
        _opened = None


def _admin(engine: Engine) -> TestClient:
    client = TestClient(full_app(engine), follow_redirects=False)
    assert form_login(client, make_user(engine, "office", Role.ADMIN), PASSWORD)
    client.csrf = client.get("/api/auth/me").json()["csrf_token"]  # type: ignore[attr-defined]
    form = {"staff_id": "T001", "name": "王芳", "unit": "人社局", "window": "w01"}
    added = client.post(
        "/staff", data={**form, "start_date": "2026-12-03", "csrf_token": client.csrf}
    )  # type: ignore[attr-defined]
    assert added.status_code == 303, added.text
    return client


def test_the_detector_sees_a_photo_spooled_to_disk(
    temp_files: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the control: with Starlette's own spool (1 MiB) and no body limit, a 2 MiB photo is
    # written to a temporary file, and the audit hook sees it
    monkeypatch.setattr(MultiPartParser, "spool_max_size", 1024 * 1024)
    bare = FastAPI()

    @bare.post("/up")
    def up(photo: UploadFile) -> int:
        return len(photo.file.read())

    r = TestClient(bare).post("/up", files={"photo": ("a.jpg", b"\xff" * 2 * 1024 * 1024)})
    assert r.json() == 2 * 1024 * 1024
    assert temp_files, "the audit hook saw no temporary file"


def test_a_photo_of_any_size_never_reaches_a_temporary_file(
    sqlite_engine: Engine, temp_files: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # rule PRIV-1
    monkeypatch.setenv("HK_FACE_KEY", Fernet.generate_key().decode())
    office = _admin(sqlite_engine)
    csrf = office.csrf  # type: ignore[attr-defined]
    big = b"\xff\xd8" + b"\x00" * (MAX_PHOTO_BYTES + 2 * 1024 * 1024)  # 12 MiB: one photo too big
    page = office.post(
        "/staff/T001/enroll",
        data={"csrf_token": csrf},
        files=[("photos", ("big.jpg", big, "image/jpeg"))],
    )
    assert page.status_code == 413 and "照片超过10MB" in page.text
    api = office.post(
        "/api/staff/enroll",
        headers={"X-CSRF-Token": csrf},
        data={"staff_id": "T001", "name": "王芳"},
        files=[("photos", ("big.jpg", big, "image/jpeg"))],
    )
    assert api.status_code == 413 and api.json()["code"] == "staff.photo_too_large"

    huge = b"\x00" * (MAX_UPLOAD_BYTES + 1024 * 1024)  # over the whole request's limit
    page = office.post(
        "/staff/T001/enroll",
        data={"csrf_token": csrf},
        files=[("photos", ("huge.jpg", huge, "image/jpeg"))],
    )
    assert temp_files == [], "the photo was written to a temporary file"
    assert page.status_code == 413 and "提交的内容太大" in page.text
    assert "Too Large" not in page.text  # worded in Chinese, no English phrase
    several = [("photos", (f"{i}.jpg", big[: 9 * 1024 * 1024], "image/jpeg")) for i in range(4)]
    api = office.post(
        "/api/staff/enroll",
        headers={"X-CSRF-Token": csrf},
        data={"staff_id": "T001", "name": "王芳"},
        files=several,  # each photo is allowed; together 36 MiB are not
    )
    assert api.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the body is counted as it comes
        yield b'--x\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n\r\n'
        yield b"\x00" * (MAX_UPLOAD_BYTES // 2)
        yield b"\x00" * (MAX_UPLOAD_BYTES // 2)

    chunked = office.post(
        "/api/staff/enroll",
        headers={"X-CSRF-Token": csrf, "Content-Type": "multipart/form-data; boundary=x"},
        content=chunks(),
    )
    assert chunked.status_code == 413
    assert temp_files == []
