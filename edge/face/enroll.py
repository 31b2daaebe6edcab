"""Enrollment at the terminal: several templates of one person, with quality checks, no photo.

A supervisor asks the hub for a one-time token for a staff member at a terminal; the hub sends
StartEnrollment. The terminal then asks the person to look at the camera and turn a little to
each side, and keeps a frame only when it shows exactly one face, at least `min_face_px` wide,
sharp (variance of the Laplacian of the face at 160x160 at least `min_sharpness`), and a pose
not yet taken (yaw bins: frontal, a little left, a little right). When it has `wanted` such
frames with a pose spread of at least `min_spread`, it encodes them and seals the templates
under the hall key (rule PRIV-1: the frames stay in memory and are dropped; no photo leaves the
terminal). The passive MiniFASNet check must say "real" on average, so a photo cannot be
enrolled in someone's place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import cv2
import numpy as np
import numpy.typing as npt

from edge.face import encode as enc
from edge.face.detect import Detected, head_pose
from models.face import seal_templates

PROMPTS = ("请正对摄像头", "请略向左转头", "请略向右转头")
"""What the terminal says while it takes the frames."""


@dataclass(frozen=True, slots=True)
class EnrollQuality:
    """Thresholds of the terminal's enrollment frames."""

    min_face_px: int = 100
    min_sharpness: float = 40.0
    min_spread: float = 0.12
    """Yaw spread (eye distances) the kept frames must cover."""
    min_real: float = 0.5


def sharpness(gray: enc.Image, box: enc.Box) -> float:
    """Variance of the Laplacian of the face resized to 160x160 (higher is sharper)."""
    top, right, bottom, left = box
    face = cv2.resize(np.ascontiguousarray(gray[top:bottom, left:right]), (160, 160))
    return float(cv2.Laplacian(face, cv2.CV_64F).var())


def _yaw_bin(yaw: float) -> int:
    return 0 if abs(yaw) < 0.08 else (1 if yaw > 0 else 2)


@dataclass
class EnrollmentSession:
    """Frames of one person until enough good, varied ones are kept (pure but for dlib)."""

    wanted: int = 3
    quality: EnrollQuality = field(default_factory=EnrollQuality)
    kept: list[tuple[float, npt.NDArray[np.float64]]] = field(default_factory=list)
    """(yaw, encoding) of each frame kept."""
    scores: list[float] = field(default_factory=list)
    last_problem: str | None = None

    def add(self, frame_bgr: enc.Image, faces: list[Detected], real: float | None) -> bool:
        """Judge one frame; True once enough frames are kept."""
        q = self.quality
        if len(faces) != 1:
            self.last_problem = "no_face" if not faces else "several_faces"
            return self.done
        face = faces[0]
        if face.width < q.min_face_px:
            self.last_problem = "face_too_small"
            return self.done
        gray = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
        if sharpness(gray, face.box) < q.min_sharpness:
            self.last_problem = "blurred"
            return self.done
        if real is not None:
            self.scores.append(real)
        yaw = head_pose(face.landmarks)[0]
        taken = {_yaw_bin(y - self._base()) for y, _ in self.kept} if self.kept else set()
        if self.kept and _yaw_bin(yaw - self._base()) in taken and len(taken) < 3:
            self.last_problem = "same_pose"
            return self.done
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        self.kept.append((yaw, enc.encode(rgb, face.box)))
        self.last_problem = None
        return self.done

    def _base(self) -> float:
        return self.kept[0][0]

    @property
    def spread(self) -> float:
        """Yaw range of the kept frames."""
        yaws = [y for y, _ in self.kept]
        return max(yaws) - min(yaws) if yaws else 0.0

    @property
    def done(self) -> bool:
        """Enough frames with enough pose spread."""
        return len(self.kept) >= self.wanted and (
            self.wanted == 1 or self.spread >= self.quality.min_spread
        )

    def prompt(self) -> str:
        """What to ask the person next."""
        return PROMPTS[min(len(self.kept), len(PROMPTS) - 1)]

    def failure(self) -> str | None:
        """Why the templates cannot be used (spoof), or None."""
        q = self.quality
        if q.min_real > 0 and self.scores and float(np.mean(self.scores)) < q.min_real:
            return "spoof"
        return None

    def real_score(self) -> float | None:
        """Mean passive score over the kept frames' track."""
        return round(float(np.mean(self.scores)), 3) if self.scores else None

    def seal(self, hall_key: bytes) -> str:
        """The kept encodings sealed under the hall key (models/face.py)."""
        return seal_templates([e for _, e in self.kept], hall_key)


PROMPT_ACTIONS = {"请略向左转头": "turn_left", "请略向右转头": "turn_right"}
"""The challenge action a prompt asks for (a simulated person plays that clip)."""
FAILED_TEXT = {
    "timeout": "采集超时，请重新开始登记",
    "expired": "登记码已过期，请重新申请",
    "spoof": "活体检测未通过，请本人登记",
}


@dataclass
class Enrolling:
    """One enrollment in progress at a terminal (what StartEnrollment asked)."""

    staff_id: str
    enrollment_id: str
    token: str
    expires_at: datetime
    session: EnrollmentSession
    time_limit_s: float
    started: float | None = None
    prompted: str | None = None

    def step(
        self,
        frame_bgr: enc.Image,
        faces: list[Detected],
        real: float | None,
        t: float,
        now: datetime,
    ) -> tuple[str | None, str | None]:
        """One frame: (a prompt to show when it changes, the outcome once there is one).

        The outcome is `captured`, or why it failed: `expired`, `timeout`, `spoof`.
        """
        if self.started is None:
            self.started = t
        if now > self.expires_at:
            return None, "expired"
        if t - self.started > self.time_limit_s:
            return None, "timeout"
        if self.session.add(frame_bgr, faces, real):
            return None, self.session.failure() or "captured"
        prompt = self.session.prompt()
        if prompt != self.prompted:
            self.prompted = prompt
            return prompt, None
        return None, None
