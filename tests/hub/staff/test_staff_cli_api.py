"""The CLIs (`face identify --json`, `staff enroll/list/remove`) and the /api/staff refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from hub.api.errors import install_error_handlers
from hub.cli.face import app as face_app
from hub.cli.staff import app as staff_app
from hub.commands import RecordingSender
from hub.staff.api import make_router
from hub.staff.gallery_sync import GallerySync
from models.layout import load_hall
from tests.edge.face.photos import FRAMES, GALLERY, PROBE

DEMO = Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo"
runner = CliRunner()


def test_identify_json_shape(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    (gallery / "obama").mkdir(parents=True)
    shutil.copy(GALLERY / "obama" / "obama2.jpg", gallery / "obama" / "obama2.jpg")
    image = FRAMES / "two_people.jpg"
    result = runner.invoke(face_app, ["identify", "--gallery", str(gallery), "--json", str(image)])
    assert result.exit_code == 0, result.output
    (item,) = json.loads(result.stdout)
    assert set(item) == {"image", "faces"} and item["image"] == str(image)
    assert len(item["faces"]) == 2
    for face in item["faces"]:
        assert set(face) == {"staff_id", "distance", "box"}
        assert isinstance(face["distance"], float) and len(face["box"]) == 4
        assert all(isinstance(v, int) for v in face["box"])
        top, right, bottom, left = face["box"]
        assert top < bottom and left < right
    by_left = sorted(item["faces"], key=lambda f: f["box"][3])
    # left: Obama (enrolled), right: Biden (not in this gallery -> unknown)
    assert [f["staff_id"] for f in by_left] == ["obama", None]
    assert by_left[0]["distance"] <= 0.45 < by_left[1]["distance"]
    text = runner.invoke(face_app, ["identify", "--gallery", str(gallery), str(image)])
    assert text.exit_code == 0 and "obama distance=" in text.stdout
    assert "unknown distance=" in text.stdout
    missing = runner.invoke(
        face_app, ["identify", "--gallery", str(gallery), str(tmp_path / "no.jpg")]
    )
    assert missing.exit_code == 2


EN = {"HK_LANG": "en"}


def test_staff_cli_enroll_list_remove(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    common = ["--db", db, "--hall-dir", str(DEMO)]
    monkeypatch.delenv("HK_FACE_KEY", raising=False)
    monkeypatch.delenv("HK_FACE_KEY_FILE", raising=False)
    monkeypatch.delenv("HK_BROKER_URL", raising=False)
    photo = str(GALLERY / "obama" / "obama2.jpg")
    no_key = runner.invoke(staff_app, ["enroll", "--staff", "obama", "--name", "O", photo, *common])
    assert no_key.exit_code == 1 and "no face key" in no_key.output
    monkeypatch.setenv("HK_FACE_KEY", Fernet.generate_key().decode())
    refused = runner.invoke(
        staff_app,
        ["enroll", "--staff", "x", "--name", "X", str(PROBE / "kit_with_rose.jpg"), *common],
        env=EN,
    )
    assert refused.exit_code == 1 and "Several faces: the photo must show the person alone" in (
        refused.output
    )  # the catalogue's words, with what to do
    ok = runner.invoke(staff_app, ["enroll", "--staff", "obama", "--name", "O", photo, *common])
    assert ok.exit_code == 0, ok.output
    assert "1 template(s)" in ok.stdout and "photos not kept" in ok.stdout
    assert "version 1" in ok.stdout
    listed = runner.invoke(staff_app, ["list", "--db", db, "--hall-dir", str(DEMO)])
    assert "obama\tO\tdemo\tactive\t1 template(s)" in listed.stdout
    removed = runner.invoke(staff_app, ["remove", "--staff", "obama", *common])
    assert removed.exit_code == 0 and "1 template(s) erased" in removed.stdout
    assert "erasure asked of 2 terminal(s)" in removed.stdout
    listed = runner.invoke(staff_app, ["list", "--db", db, "--hall-dir", str(DEMO)])
    assert "obama\tO\tdemo\tremoved\t0 template(s)" in listed.stdout
    at = ["enroll-at", "--staff", "obama", "--name", "O", *common]
    no_broker = runner.invoke(staff_app, [*at, "--device", "ent-face1"])
    assert no_broker.exit_code == 1 and "needs the broker" in no_broker.output
    unknown = runner.invoke(staff_app, ["remove", "--staff", "nobody", *common], env=EN)
    assert unknown.exit_code == 1 and "nobody: No such staff member" in unknown.output
    again = runner.invoke(staff_app, ["remove", "--staff", "obama", *common], env=EN)
    assert again.exit_code == 1 and "obama left the hall on" in again.output


def test_api_refusals(sqlite_engine: Engine) -> None:
    app = FastAPI()
    sync = GallerySync(sqlite_engine, Fernet.generate_key(), [load_hall(DEMO)], RecordingSender())
    app.include_router(make_router(sync))
    install_error_handlers(app)  # as the hub's app does: refusals in the catalogue's words
    client = TestClient(app)
    ok, blank = cv2.imencode(".png", np.full((300, 300, 3), 128, np.uint8))
    assert ok
    files = [
        ("photos", ("group.jpg", (PROBE / "kit_with_rose.jpg").read_bytes(), "image/jpeg")),
        ("photos", ("wall.png", blank.tobytes(), "image/png")),
    ]
    r = client.post("/api/staff/enroll", data={"staff_id": "s1", "name": "A"}, files=files)
    assert r.status_code == 422
    problems = r.json()["detail"]["problems"]
    assert [(p["photo"], p["code"]) for p in problems] == [
        ("group.jpg", "several_faces"),
        ("wall.png", "no_face"),
    ]
    assert problems[0]["message"] == "照片里有多张人脸：照片里只能有本人"
    assert r.json()["detail"]["message"] == "下面的照片没有通过检查，本次什么也没有保存："
    r = client.post(
        "/api/staff/enroll", data={"staff_id": "s1", "name": "A", "hall": "x"}, files=files[:1]
    )
    assert r.status_code == 422 and r.json()["code"] == "error.unknown_hall"
    assert r.json()["detail"] == "没有这个大厅，请从首页进入"
    assert client.delete("/api/staff/nobody").status_code == 404
    assert client.get("/api/staff").json() == []
    (status,) = client.get("/api/staff/gallery").json()
    assert status["hall"] == "demo" and status["version"] is None
    assert [t["device"] for t in status["terminals"]] == ["ent-face1", "ent-face2"]
    no_key = FastAPI()
    no_key.include_router(make_router(GallerySync(sqlite_engine, None, [load_hall(DEMO)])))
    install_error_handlers(no_key)
    r = TestClient(no_key).post(
        "/api/staff/enroll", data={"staff_id": "s1", "name": "A"}, files=files[:1]
    )
    assert r.status_code == 503 and r.json()["code"] == "staff.no_face_key"


def test_a_hub_of_several_halls_asks_which_hall_in_words(sqlite_engine: Engine) -> None:
    demo = load_hall(DEMO)
    east = demo.model_copy(update={"id": "east", "name": "东区大厅"})
    app = FastAPI()
    app.include_router(make_router(GallerySync(sqlite_engine, Fernet.generate_key(), [demo, east])))
    install_error_handlers(app)
    start = {"staff_id": "s1", "name": "A", "device": "ent-face1"}
    asked = (("zh-CN", "这台服务器管理多个大厅，请先选择大厅"), ("en", "choose the hall first"))
    for lang, words in asked:
        r = TestClient(app).post(f"/api/staff/enrollments?lang={lang}", json=start)
        assert r.status_code == 422 and r.json()["code"] == "error.name_hall"
        assert words in r.json()["detail"] and r.json()["field"] == "hall"
