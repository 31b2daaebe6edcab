"""Capture through OpenCV: a frame folder, a video file, a missing source (camera fault)."""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.drivers.face_terminal import FaceTerminalConfig, FaceTerminalDriver
from edge.face.capture import CaptureError, open_source
from tests.edge.face.test_face_terminal import KEY_ENV
from tests.support.device_context import RecordingContext


def frames(n: int) -> list[np.ndarray]:
    out = []
    for i in range(n):
        f = np.zeros((120, 160, 3), dtype=np.uint8)
        f[:, i * 10 : i * 10 + 10] = 255
        out.append(f)
    return out


def test_folder_frames_are_sorted_and_stamped_with_clip_time(tmp_path: Path) -> None:
    for i, f in enumerate(frames(4)):
        cv2.imwrite(str(tmp_path / f"{i:03d}.png"), f)
    (tmp_path / "notes.txt").write_text("not a frame")
    got = list(open_source(str(tmp_path), fps=4))
    assert [g.t for g in got] == [0.0, 0.25, 0.5, 0.75] and not got[0].live
    assert [int(g.image[0, i * 10 + 5, 0]) for i, g in enumerate(got)] == [255] * 4
    looped = open_source(str(tmp_path), fps=4, loop=True)
    assert [next(looped).t for _ in range(6)][-1] == 1.25


def test_video_file_is_read_to_its_end(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for f in frames(6):
        writer.write(f)
    writer.release()
    got = list(open_source(str(path)))
    assert len(got) == 6
    assert all(b.t > a.t for a, b in itertools.pairwise(got))


def test_missing_source_is_a_capture_error_and_a_camera_fault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(CaptureError, match="no such video file"):
        open_source(str(tmp_path / "nothing"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CaptureError, match="no image frames"):
        list(open_source(str(empty)))
    # a terminal with a gallery whose simulated camera cannot open reports a fault (DEV-4)
    from cryptography.fernet import Fernet

    from edge.face.gallery import LocalGallery
    from tests.edge.face.photos import sync_body

    key = Fernet.generate_key()
    monkeypatch.setenv(KEY_ENV, key.decode())
    body = sync_body(1, [], key)
    LocalGallery(tmp_path / "g.gallery", key).replace(1, body.checksum, body.blob, body.keys)
    ctx = RecordingContext("ent-face1")
    drv = FaceTerminalDriver(
        ctx,
        FaceTerminalConfig(
            source=str(tmp_path / "nothing"),
            gallery_path=str(tmp_path / "g.gallery"),
            key_env=KEY_ENV,
        ),
    )
    drv.start()
    assert drv.join(timeout=10)
    drv.stop()
    assert [f[0] for f in ctx.faults] == ["camera"] and drv.status() == "fault"
