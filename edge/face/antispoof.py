"""Passive anti-spoofing with the two MiniFASNet models (Silent-Face-Anti-Spoofing, Apache-2.0).

As their authors run them: for each model a crop around the face box enlarged by the model's
scale (2.7 and 4.0, clipped to the frame), resized to 80x80 BGR floats without normalisation;
the two softmax outputs are summed and class 1 is "real". The score here is that sum halved
(0..1). Trained on live phone captures against prints and screen replays.

The box matters as much as the scale. The authors crop around the box of their SSD face detector,
close to a square; YuNet's box is a rectangle about 0.73 as wide as high (hairline to chin),
and the crop keeps the box's proportions, so YuNet boxes gave crops stretched sideways into the
80x80 input that the models never saw in training. The box is therefore made square around
its centre with its longer side (`square`); HOG boxes are square already. On the project's
synthetic clips the track scores went, genuine, from 0.45-1.00 to 0.68-1.00, prints from up
to 0.45 to up to 0.39, screen replays from up to 0.44 to up to 0.05 (docs/face.md, the table
of `hallkeeper face liveness`).

What it stops and what it does not (measured on the project's synthetic clips, docs/face.md):
it reacts to the recapture cues of a screen (moiré, gamma, a bezel in the wider crop); it does
not tell a good print or a press photo from a live face (it said "real", 0.68-1.00, for press
photos) and it was never measured here on a real phone replay or a real print. It is therefore
one vote beside the challenge (edge/face/challenge.py), never the only guard; `min_real` is a
setting (0 turns it off).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.face.detect import MODELS
from edge.face.types import Image

MINIFASNET = (
    (MODELS / "2.7_80x80_MiniFASNetV2.onnx", 2.7),
    (MODELS / "4_0_0_80x80_MiniFASNetV1SE.onnx", 4.0),
)


def square(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The (x, y, w, h) box made square around its centre with its longer side."""
    x, y, w, h = box
    side = max(w, h)
    return (x + (w - side) / 2, y + (h - side) / 2, side, side)


def scaled_crop(
    image: Image, box: tuple[float, float, float, float], scale: float, size: int = 80
) -> Image:
    """The original repository's crop: the (x, y, w, h) box enlarged by `scale`, in the frame."""
    src_h, src_w = image.shape[:2]
    x, y, w, h = box
    scale = min((src_h - 1) / h, (src_w - 1) / w, scale)
    new_w, new_h = w * scale, h * scale
    cx, cy = x + w / 2, y + h / 2
    left, top = cx - new_w / 2, cy - new_h / 2
    right, bottom = cx + new_w / 2, cy + new_h / 2
    if left < 0:
        right, left = right - left, 0
    if top < 0:
        bottom, top = bottom - top, 0
    if right > src_w - 1:
        left, right = left - right + src_w - 1, src_w - 1
    if bottom > src_h - 1:
        top, bottom = top - bottom + src_h - 1, src_h - 1
    crop = image[int(top) : int(bottom) + 1, int(left) : int(right) + 1]
    return cv2.resize(crop, (size, size))


@dataclass
class AntiSpoof:
    """Both MiniFASNet models; `score` is the averaged probability that the face is real."""

    nets: list[tuple[Any, float]]

    @classmethod
    def load(cls) -> AntiSpoof:
        """Load the two shipped models."""
        return cls([(cv2.dnn.readNetFromONNX(str(p)), s) for p, s in MINIFASNET])

    def score(self, image: Image, box: tuple[float, float, float, float]) -> float:
        """P(real) of the face in the BGR frame, detector box (x, y, w, h)."""
        face = square(box)
        total = np.zeros(3, dtype=np.float64)
        for net, scale in self.nets:
            crop = scaled_crop(image, face, scale).astype(np.float32)
            net.setInput(crop.transpose(2, 0, 1)[np.newaxis])
            logits = net.forward().reshape(-1).astype(np.float64)
            e = np.exp(logits - logits.max())
            total += e / e.sum()
        return float(total[1] / len(self.nets))


def model_files() -> list[Path]:
    """The shipped model files (for checks and packaging)."""
    from edge.face.detect import YUNET

    return [YUNET, *(p for p, _ in MINIFASNET)]
