"""The face terminal driver on recorded frame folders through OpenCV (the simulated camera)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from cryptography.fernet import Fernet

from edge.drivers import driver_class
from edge.drivers.face_terminal import FAIL_TEXT, FaceTerminalConfig, FaceTerminalDriver
from edge.face.challenge import prompt
from edge.face.clips import render_photo_attack, write_performer
from models.commands import EraseTemplate, make_command
from models.events import GalleryHeld, Punch, TemplateErased, UnknownFace
from models.face import GalleryPerson
from tests.edge.face.photos import (
    FRAMES,
    GALLERY,
    PROBE,
    crop_frame,
    faces_of,
    gallery_templates,
    letterbox,
    performance,
    subject,
    sync_body,
    write_clip,
)
from tests.support.device_context import RecordingContext

KEY_ENV = "HK_TEST_FACE_HALL_KEY"


def people() -> list[GalleryPerson]:
    return [
        GalleryPerson(k, k.replace("_", " ").title(), tuple(tuple(t) for t in v))
        for k, v in gallery_templates().items()
    ]


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> bytes:
    k = Fernet.generate_key()
    monkeypatch.setenv(KEY_ENV, k.decode())
    return k


def run_terminal(
    tmp_path: Path, key: bytes, clip: Path | None, **settings: Any
) -> tuple[FaceTerminalDriver, RecordingContext]:
    """Start a terminal, give it the shared gallery, play `clip` to its end."""
    ctx = RecordingContext("ent-face1")
    config = FaceTerminalConfig(
        source=None,
        gallery_path=str(tmp_path / "{device}.gallery"),
        key_env=KEY_ENV,
        realtime=False,
        **{"fps": 5, **settings},
    )
    if clip is not None:
        # the gallery is synced before the camera starts: write it through a first driver
        first = FaceTerminalDriver(RecordingContext("ent-face1"), config)
        first.start()
        cmd = make_command(
            hall="demo",
            device="ent-face1",
            ts=datetime.now(ZoneInfo("UTC")),
            body=sync_body(1, people(), key),
        )
        assert first.handle(cmd).ok
        first.stop()
        config = config.model_copy(update={"source": str(clip)})
    drv = FaceTerminalDriver(ctx, config)
    drv.start()
    assert drv.join(timeout=120)
    drv.stop()
    return drv, ctx


@pytest.fixture(scope="module")
def black() -> np.ndarray:
    return np.zeros((720, 1280, 3), dtype=np.uint8)


def test_enrolled_person_gives_exactly_one_punch_in_the_dedup_window(
    tmp_path: Path, key: bytes, black: np.ndarray
) -> None:
    # rule ATT-1: one punch; the same person again within dedup_s is the same punch
    shots = [
        letterbox(PROBE / "obama1.jpg"),
        letterbox(FRAMES / "obama-720p.jpg"),
        letterbox(GALLERY / "obama" / "obama2.jpg"),
    ]
    # each shot held for a few frames, as a camera sees a person standing at the terminal
    held = [shot for shot in shots for _ in range(3)]
    clip = write_clip(tmp_path / "clip", held + [black] * 10 + held)
    drv, ctx = run_terminal(tmp_path, key, clip, liveness="off")
    punches = ctx.of(Punch)
    assert len(punches) == 1, ctx.events
    assert punches[0].staff_id == "obama" and punches[0].distance < 0.45
    assert punches[0].liveness.passed and punches[0].liveness.method == "off"
    assert ctx.of(UnknownFace) == []
    assert "Obama 打卡成功" in drv.feedback.shown and "Obama 已打卡" in drv.feedback.shown
    assert ctx.of(GalleryHeld)[0].version == 1 and ctx.of(GalleryHeld)[0].count == 5


def test_stranger_gives_no_punch_and_one_rate_limited_unknown_face(
    tmp_path: Path, key: bytes
) -> None:
    photo = PROBE / "obama_and_biden.jpg"
    stranger = faces_of(str(photo))[2]  # the person on the right is not enrolled
    frame = crop_frame(photo, stranger.box)
    clip = write_clip(tmp_path / "clip", [frame] * 6 + [frame[:, ::-1].copy()] * 6)
    drv, ctx = run_terminal(tmp_path, key, clip, liveness="off")
    assert ctx.of(Punch) == []
    unknown = ctx.of(UnknownFace)
    assert len(unknown) == 1  # two refusals in the clip, one report per 30 s
    assert unknown[0].reason == "no_match" and unknown[0].best_distance > 0.45
    assert set(UnknownFace.model_fields) == {"best_distance", "reason", "liveness"}  # PRIV-1
    assert drv.feedback.shown.count("未识别，请联系管理员") == 2


def test_person_doing_the_asked_actions_punches_a_moved_photo_does_not(
    tmp_path: Path, key: bytes
) -> None:
    # the terminal asks two actions; the simulated person hears them and performs them
    perf = write_performer(tmp_path / "person", performance("obama"))
    drv, ctx = run_terminal(tmp_path, key, perf, fps=10, liveness="challenge")
    (punch,) = ctx.of(Punch)
    assert punch.staff_id == "obama" and punch.liveness.passed
    assert punch.liveness.method == "challenge+minifasnet"
    asked = drv.asked[1]
    assert punch.liveness.challenge == ",".join(asked) and len(set(asked)) == 2
    assert prompt(asked) in drv.feedback.shown and "Obama 打卡成功" in drv.feedback.shown
    assert punch.liveness.real_score is not None and punch.liveness.real_score >= 0.5
    # a print of a photo of the same person, moved in front of the camera for 12 s
    attack = write_clip(tmp_path / "print", render_photo_attack(subject("obama"), frames=40) * 3)
    drv, ctx = run_terminal(tmp_path / "b", key, attack, fps=10, liveness="challenge")
    assert ctx.of(Punch) == []
    (unknown,) = ctx.of(UnknownFace)
    assert unknown.reason == "liveness_failed" and unknown.liveness is not None
    assert not unknown.liveness.passed
    assert FAIL_TEXT["timeout"] in drv.feedback.shown


def test_sync_gallery_and_erase_template_commands(tmp_path: Path, key: bytes) -> None:
    ctx = RecordingContext("ent-face1")
    drv = driver_class("face_terminal")(
        ctx, FaceTerminalConfig(gallery_path=str(tmp_path / "g.gallery"), key_env=KEY_ENV)
    )
    assert isinstance(drv, FaceTerminalDriver)
    drv.start()
    try:
        assert ctx.of(GalleryHeld) == [GalleryHeld(version=0, checksum="", count=0)]
        ts = datetime.now(ZoneInfo("UTC"))
        body = sync_body(7, people(), key)
        checksum = body.checksum
        bad = make_command(
            hall="demo",
            device="ent-face1",
            ts=ts,
            body=body.model_copy(update={"checksum": "sha256:" + "0" * 64}),
        )
        outcome = drv.handle(bad)
        assert not outcome.ok and "checksum" in outcome.detail
        ok = make_command(
            hall="demo",
            device="ent-face1",
            ts=ts,
            body=body,
        )
        assert drv.handle(ok).ok
        assert ctx.of(GalleryHeld)[-1] == GalleryHeld(version=7, checksum=checksum, count=5)
        erase = make_command(
            hall="demo",
            device="ent-face1",
            ts=ts,
            body=EraseTemplate(staff_id="biden", gallery_version=8, erasure_id="e1"),
        )
        assert drv.handle(erase).ok
        assert ctx.of(TemplateErased) == [
            TemplateErased(staff_id="biden", gallery_version=8, erasure_id="e1")
        ]
        assert ctx.of(GalleryHeld)[-1].count == 4
        assert b"biden" not in (tmp_path / "g.gallery").read_bytes()  # secure_delete
    finally:
        drv.stop()
    # after a restart the terminal holds the erased gallery
    ctx2 = RecordingContext("ent-face1")
    drv2 = FaceTerminalDriver(
        ctx2, FaceTerminalConfig(gallery_path=str(tmp_path / "g.gallery"), key_env=KEY_ENV)
    )
    drv2.start()
    drv2.stop()
    assert ctx2.of(GalleryHeld)[0].count == 4 and ctx2.of(GalleryHeld)[0].version == 7


def test_missing_hall_key_is_a_fault_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    ctx = RecordingContext("ent-face1")
    drv = FaceTerminalDriver(
        ctx, FaceTerminalConfig(gallery_path=str(tmp_path / "g.gallery"), key_env=KEY_ENV)
    )
    drv.start()
    drv.stop()
    assert ctx.faults and ctx.faults[0][0] == "gallery_unusable"
    assert drv.status() == "degraded"


def test_next_person_stepping_in_without_a_gap_gets_their_own_punch(
    tmp_path: Path, key: bytes
) -> None:
    obama = letterbox(PROBE / "obama1.jpg")
    biden = letterbox(GALLERY / "biden" / "biden2.jpg")
    clip = write_clip(tmp_path / "clip", [obama] * 3 + [biden] * 8)  # re-check after 1 s
    _, ctx = run_terminal(tmp_path, key, clip, liveness="off")
    assert [p.staff_id for p in ctx.of(Punch)] == ["obama", "biden"]


def test_a_terminal_process_loads_only_the_dlib_models_it_uses() -> None:
    # issue 20.5, the face agent's RSS: face_recognition's import loads all five dlib models
    # (the 68-point predictor alone ~70 MB) and pkg_resources; the terminal loads none of that
    # but the models its settings use: 5 points and the encoder, 68 points only for a challenge
    import subprocess
    import sys

    frame = str(FRAMES / "obama-720p.jpg")
    code = (
        "import sys, cv2\n"
        "from edge.face import dlib_models as m\n"
        "from edge.face.liveness import LivenessSettings\n"
        "from edge.face.matcher import Matcher\n"
        "from edge.face.pipeline import FacePipeline, PipelineSettings\n"
        "def used():\n"
        "    fs = (m.hog_detector, m.shape_predictor_5, m.shape_predictor_68, m.face_encoder)\n"
        "    return [f.__name__ for f in fs if f.cache_info().currsize]\n"
        "for mode in ('passive', 'challenge'):\n"
        "    s = PipelineSettings(liveness=LivenessSettings(mode=mode))\n"
        "    p = FacePipeline(Matcher({}), s)\n"
        f"    p.process(cv2.imread({frame!r}), 0.0)\n"
        "    print(mode, used())\n"
        "gone = ('face_recognition', 'face_recognition_models', 'pkg_resources')\n"
        "print(sorted(k for k in gone if k in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [
        "passive ['shape_predictor_5', 'face_encoder']",
        "challenge ['shape_predictor_5', 'shape_predictor_68', 'face_encoder']",
        "[]",
    ]
