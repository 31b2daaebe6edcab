"""Face detection with YuNet (OpenCV Zoo, shipped in edge/face/models/): boxes + 5 landmarks.

YuNet runs on the frame shrunk to `max_side` (at 320x180 5 ms here, at 640x360 14 ms with
OpenCV 5.1, against ~220 ms for dlib's HOG on the 720p frame; edge/face/pipeline.py
DETECT_MAX_SIDE). Its five landmarks (the person's right eye, left eye, nose tip, right
and left mouth corner) give the head pose the challenge reads (edge/face/challenge.py) and the
box handed to the encoder: dlib's landmark models were trained on dlib detector boxes, so the
box given to them is the dlib-like square derived from the landmarks (side 2.28 x the
eye-to-mouth distance, centred between eyes and mouth; fitted on the shared photos, where HOG's
boxes are 2.28 +- 0.17 of that distance), which keeps templates comparable with those enrolled
from photos.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from edge.face.types import Box, Image

MODELS = Path(__file__).resolve().parent / "models"
YUNET = MODELS / "face_detection_yunet_2023mar.onnx"
BOX_PER_EYE_MOUTH = 2.28
"""Side of the dlib-like face box, in eye-to-mouth distances."""


@dataclass(frozen=True, slots=True)
class Detected:
    """One face: its dlib-like box, YuNet's own box (x, y, w, h), five landmarks and score."""

    box: Box
    yunet_box: tuple[float, float, float, float]
    landmarks: npt.NDArray[np.float64]
    """5 x 2: right eye, left eye, nose tip, right mouth corner, left mouth corner (pixels)."""
    score: float

    @property
    def width(self) -> int:
        """Width of the face box in pixels."""
        return self.box[1] - self.box[3]


def dlib_like_box(landmarks: npt.NDArray[np.floating], width: int, height: int) -> Box:
    """The square dlib's models expect, from five landmarks, clipped to the frame."""
    eyes = (landmarks[0] + landmarks[1]) / 2
    mouth = (landmarks[3] + landmarks[4]) / 2
    half = BOX_PER_EYE_MOUTH * float(np.linalg.norm(mouth - eyes)) / 2
    cx, cy = (eyes + mouth) / 2
    return (
        max(round(cy - half), 0),
        min(round(cx + half), width - 1),
        min(round(cy + half), height - 1),
        max(round(cx - half), 0),
    )


class YuNetDetector:
    """YuNet over OpenCV's DNN; one instance per thread (its input size is state)."""

    def __init__(
        self,
        model: str | Path = YUNET,
        *,
        max_side: int = 640,
        score_threshold: float = 0.75,
        nms_threshold: float = 0.3,
    ) -> None:
        self.max_side = max_side
        self._net: Any = cv2.FaceDetectorYN.create(
            str(model), "", (320, 320), score_threshold, nms_threshold, 20
        )
        self._size: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def detect(self, image: Image, max_side: int | None = None) -> list[Detected]:
        """Faces of a BGR frame, largest first, in full-size coordinates (detected on the frame
        shrunk to `max_side`, by default the detector's own)."""
        h, w = image.shape[:2]
        scale = min(1.0, (max_side or self.max_side) / max(h, w))
        small = image
        if scale < 1.0:
            small = cv2.resize(
                image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA
            )
        size = (small.shape[1], small.shape[0])
        with self._lock:
            if size != self._size:
                self._net.setInputSize(size)
                self._size = size
            _, rows = self._net.detect(small)
        out = []
        for row in [] if rows is None else rows:
            lm = row[4:14].reshape(5, 2).astype(np.float64) / scale
            x, y, bw, bh = (float(v) / scale for v in row[:4])
            out.append(Detected(dlib_like_box(lm, w, h), (x, y, bw, bh), lm, float(row[14])))
        return sorted(out, key=lambda d: -d.width)


def head_pose(landmarks: npt.NDArray[np.floating]) -> tuple[float, float, float]:
    """Yaw, pitch and roll cues from five landmarks (dimensionless, 0 for a frontal face).

    Yaw: the nose tip's horizontal offset from the eyes' midpoint, in eye distances (positive:
    the nose is to the image's right, i.e. the person turned to their left). Pitch: where the
    nose tip sits between the eye line (0) and the mouth line (1), minus 0.5 (positive: the
    head bows down). Roll: the eye line's angle in radians.
    """
    r_eye, l_eye, nose, r_mouth, l_mouth = (np.asarray(p, dtype=np.float64) for p in landmarks)
    eyes = (r_eye + l_eye) / 2
    mouth = (r_mouth + l_mouth) / 2
    axis = l_eye - r_eye
    dist = float(np.linalg.norm(axis)) or 1.0
    roll = float(np.arctan2(axis[1], axis[0]))
    c, s = np.cos(-roll), np.sin(-roll)
    rot = np.array([[c, -s], [s, c]])
    n, m = rot @ (nose - eyes), rot @ (mouth - eyes)
    yaw = float(n[0]) / dist
    pitch = float(n[1]) / float(m[1]) - 0.5 if m[1] > 0 else 0.0
    return yaw, pitch, roll
