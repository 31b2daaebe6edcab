"""Face detection, landmarks and 128-d encodings (dlib with face_recognition's model files).

One place computes encodings, so the hub's enrollment, the identify CLI and the terminal
produce comparable templates: HOG detection, dlib's 5-point alignment (face_recognition's
default, the setting dlib's published LFW figures use) and the ResNet descriptor. The models
load on first use (edge/face/dlib_models.py): a terminal never holds the ones it does not use.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import dlib
import numpy as np
import numpy.typing as npt

from edge.face import dlib_models
from edge.face.types import Box, Image
from models.face import DLIB_LOCK

_DLIB = DLIB_LOCK  # the process's one dlib lock (models.face)
"""Face terminals of one agent process share dlib's model objects (a network keeps per-call
buffers); their calls take turns rather than rely on the models being thread-safe."""


@dataclass(frozen=True, slots=True)
class FaceFound:
    """One face in an image: its box and encoding."""

    box: Box
    encoding: npt.NDArray[np.float64]


def detect(image: Image, *, max_side: int | None = None, upsample: int = 0) -> list[Box]:
    """Face boxes (full-size coordinates); detection runs on a copy shrunk to `max_side`."""
    h, w = image.shape[:2]
    scale = 1.0
    small = image
    if max_side is not None and max(h, w) > max_side:
        scale = max_side / max(h, w)
        small = cv2.resize(
            image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA
        )
    with _DLIB:
        rects = dlib_models.hog_detector()(small, upsample)
    boxes = []
    for r in rects:
        top, right = round(r.top() / scale), round(r.right() / scale)
        bottom, left = round(r.bottom() / scale), round(r.left() / scale)
        boxes.append((max(top, 0), min(right, w - 1), min(bottom, h - 1), max(left, 0)))
    return boxes


def _crop(rgb: Image, box: Box) -> tuple[Image, dlib.rectangle]:
    """A crop around the face (half a face of margin) and the face's rectangle inside it."""
    top, right, bottom, left = box
    m = max(bottom - top, right - left) // 2
    h, w = rgb.shape[:2]
    y0, x0 = max(top - m, 0), max(left - m, 0)
    y1, x1 = min(bottom + m, h), min(right + m, w)
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    return crop, dlib.rectangle(left - x0, top - y0, right - x0, bottom - y0)


def _describe(crop: Image, rect: dlib.rectangle) -> npt.NDArray[np.float64]:
    """dlib's 5-point alignment and ResNet descriptor of the face `rect` in an RGB crop."""
    with _DLIB:
        shape = dlib_models.shape_predictor_5()(crop, rect)
        return np.asarray(dlib_models.face_encoder().compute_face_descriptor(crop, shape, 1))


def encode(rgb: Image, box: Box) -> npt.NDArray[np.float64]:
    """The 128-d encoding of the face in `box`, computed on the face crop only."""
    return _describe(*_crop(rgb, box))


def encode_bgr(bgr: Image, box: Box) -> npt.NDArray[np.float64]:
    """`encode` of a BGR frame: only the face crop is turned to RGB (the same pixels)."""
    crop, rect = _crop(bgr, box)
    return _describe(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB), rect)


def landmarks68(image: Image, box: Box) -> npt.NDArray[np.float64]:
    """The 68 landmarks (x, y) of the face in `box`, in frame pixels (grey or RGB image)."""
    crop, rect = _crop(image, box)
    with _DLIB:
        shape = dlib_models.shape_predictor_68()(crop, rect)
    x0, y0 = box[3] - rect.left(), box[0] - rect.top()
    return np.array([(p.x + x0, p.y + y0) for p in shape.parts()], dtype=np.float64)


def faces_in_image(rgb: Image, *, max_side: int = 1024, upsample: int = 1) -> list[FaceFound]:
    """Every face in a photo with its encoding (enrollment, identify)."""
    return [FaceFound(b, encode(rgb, b)) for b in detect(rgb, max_side=max_side, upsample=upsample)]


def load_rgb(path: str) -> Image:
    """Read an image file as RGB, or raise ValueError if it is not an image."""
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"{path}: not a readable image")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def decode_rgb(data: bytes) -> Image:
    """Decode image bytes (JPEG/PNG) as RGB, or raise ValueError."""
    bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError("not a readable image (JPEG or PNG expected)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
