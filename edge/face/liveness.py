"""Liveness: an eye blink (eye aspect ratio on the 68 landmarks) and non-rigid facial motion.

What it checks, over the frames of one face track (at most `window_s` seconds):

- **Blink** (Soukupová & Čech 2016, eye aspect ratio): EAR = (|p2-p6| + |p3-p5|) / (2 |p1-p4|)
  per eye, averaged over both eyes. A blink is EAR going from open (>= `open_ear`) to closed
  (<= `closed_ear`) and back to open.
- **Motion**: every frame's landmarks are aligned to the track's first frame by a similarity
  transform (translation, rotation, scale), and the residual is measured in inter-ocular
  distances. A rigid object (a photo moved or tilted in front of the camera) leaves almost no
  residual; a live face (eyes, brows, mouth, small head turns) does.

What it stops: a still photo held up (no blink, no non-rigid motion, even when the photo is
moved); a phone or tablet showing a still image, or a replayed video in which the person does
not blink; a static frame repeated by a compromised camera feed.

What it does not stop: a video replay in which the person blinks, a live accomplice's own
face is not a threat it addresses, 3-D masks with eye holes (a real blink behind the mask),
and injected video streams. Those need depth/IR sensors or challenge-response, outside this
terminal. The check is a setting (`mode`): off, blink, motion, or blink+motion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from models.events import Liveness

LivenessMode = Literal["off", "blink", "motion", "blink+motion"]
RIGHT_EYE = slice(36, 42)
LEFT_EYE = slice(42, 48)


@dataclass(frozen=True, slots=True)
class LivenessSettings:
    """Which checks to apply and their thresholds."""

    mode: LivenessMode = "blink"
    open_ear: float = 0.25
    """EAR at or above this is an open eye."""
    closed_ear: float = 0.21
    """EAR at or below this is a closed eye."""
    min_motion: float = 0.02
    """Non-rigid residual (in inter-ocular distances) that counts as a live face moving."""
    window_s: float = 6.0
    """How long a face track may take to show liveness before it is refused."""


def eye_aspect_ratio(eye: npt.NDArray[np.floating]) -> float:
    """EAR of one eye given its six landmarks in dlib's order."""
    a = float(np.linalg.norm(eye[1] - eye[5]))
    b = float(np.linalg.norm(eye[2] - eye[4]))
    c = float(np.linalg.norm(eye[0] - eye[3]))
    return (a + b) / (2.0 * c) if c > 0 else 0.0


def face_ear(landmarks: npt.NDArray[np.floating]) -> float:
    """Mean EAR of both eyes from 68 landmarks (x, y)."""
    return (eye_aspect_ratio(landmarks[RIGHT_EYE]) + eye_aspect_ratio(landmarks[LEFT_EYE])) / 2


def nonrigid_residual(
    reference: npt.NDArray[np.floating], points: npt.NDArray[np.floating]
) -> float:
    """RMS residual after a similarity alignment of `points` onto `reference`, per eye distance."""
    ref = reference - reference.mean(axis=0)
    cur = points - points.mean(axis=0)
    ref_scale = float(np.sqrt((ref**2).sum()))
    cur_scale = float(np.sqrt((cur**2).sum()))
    if ref_scale == 0 or cur_scale == 0:
        return 0.0
    ref, cur = ref / ref_scale, cur / cur_scale
    u, _, vt = np.linalg.svd(cur.T @ ref)
    aligned = cur @ (u @ vt)
    eyes = np.linalg.norm(ref[RIGHT_EYE].mean(axis=0) - ref[LEFT_EYE].mean(axis=0))
    rms = float(np.sqrt(((aligned - ref) ** 2).sum(axis=1).mean()))
    return rms / float(eyes) if eyes > 0 else 0.0


@dataclass
class LivenessTracker:
    """Accumulates one face track's landmarks and judges liveness."""

    settings: LivenessSettings = field(default_factory=LivenessSettings)
    _start: float | None = None
    _reference: npt.NDArray[np.float64] | None = None
    _was_open: bool = False
    _closed_after_open: bool = False
    _blinked: bool = False
    _motion: float = 0.0
    frames: int = 0

    def reset(self) -> None:
        """Start a new track (a new face, or after a decision)."""
        self._start = self._reference = None
        self._was_open = self._closed_after_open = self._blinked = False
        self._motion = 0.0
        self.frames = 0

    def add(self, landmarks: npt.NDArray[np.floating], t: float) -> None:
        """Add one frame's 68 landmarks (x, y) seen at `t` seconds."""
        pts = np.asarray(landmarks, dtype=np.float64).reshape(68, 2)
        if self._start is None:
            self._start, self._reference = t, pts
        self.frames += 1
        ear = face_ear(pts)
        s = self.settings
        if ear >= s.open_ear:
            if self._closed_after_open:
                self._blinked = True
            self._was_open = True
        elif ear <= s.closed_ear and self._was_open:
            self._closed_after_open = True
        assert self._reference is not None
        self._motion = max(self._motion, nonrigid_residual(self._reference, pts))

    def verdict(self) -> Liveness:
        """The liveness result so far."""
        s = self.settings
        if s.mode == "off":
            return Liveness(passed=True, method="off")
        blink_ok = self._blinked
        motion_ok = self._motion >= s.min_motion
        passed = {"blink": blink_ok, "motion": motion_ok, "blink+motion": blink_ok and motion_ok}[
            s.mode
        ]
        return Liveness(
            passed=passed,
            blink=self._blinked if "blink" in s.mode else None,
            motion=round(self._motion, 4),
            method=s.mode,
        )

    def expired(self, t: float) -> bool:
        """True when the track has had its whole window without showing liveness."""
        return self._start is not None and t - self._start > self.settings.window_s
