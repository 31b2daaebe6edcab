"""Liveness of one face track: the challenge (edge/face/challenge.py) and the passive check.

`FaceCues.measure` turns one frame's 68 landmarks into the challenge's cues; `LivenessCheck`
runs one challenge per face track and averages the MiniFASNet "real" score over its frames
(edge/face/antispoof.py). A track passes when the challenge has passed and the mean score is at
least `min_real`. Modes: `challenge` (the default: challenge and passive check), `passive`
(MiniFASNet only, for halls that cannot have the terminal speak), `off`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from edge.face.challenge import Action, Challenge, ChallengeSettings, Cues, pick
from edge.face.detect import head_pose
from models.events import Liveness

LivenessMode = Literal["off", "passive", "challenge"]
RIGHT_EYE = slice(36, 42)
LEFT_EYE = slice(42, 48)


@dataclass(frozen=True, slots=True)
class LivenessSettings:
    """Which checks to apply and their thresholds."""

    mode: LivenessMode = "challenge"
    challenge: ChallengeSettings = field(default_factory=ChallengeSettings)
    min_real: float = 0.5
    """Smallest mean MiniFASNet score accepted (0 turns the passive check off)."""
    passive_frames: int = 3
    """Frames the passive check averages before it may decide (mode `passive`)."""


def eye_aspect_ratio(eye: npt.NDArray[np.floating]) -> float:
    """EAR of one eye given its six landmarks in dlib's order (Soukupová & Čech 2016)."""
    a = float(np.linalg.norm(eye[1] - eye[5]))
    b = float(np.linalg.norm(eye[2] - eye[4]))
    c = float(np.linalg.norm(eye[0] - eye[3]))
    return (a + b) / (2.0 * c) if c > 0 else 0.0


def face_ear(landmarks: npt.NDArray[np.floating]) -> float:
    """Mean EAR of both eyes from 68 landmarks (x, y)."""
    return (eye_aspect_ratio(landmarks[RIGHT_EYE]) + eye_aspect_ratio(landmarks[LEFT_EYE])) / 2


def _strip(
    gray: npt.NDArray[np.uint8],
    p: npt.NDArray[np.floating],
    q: npt.NDArray[np.floating],
    width: float,
    height: float,
    below: float,
) -> npt.NDArray[np.float32]:
    """A strip aligned with the segment p-q, centred `below` its midpoint (grey levels)."""
    c = (p + q) / 2
    angle = float(np.degrees(np.arctan2(q[1] - p[1], q[0] - p[0])))
    m = cv2.getRotationMatrix2D((float(c[0]), float(c[1])), angle, 1.0)
    m[:, 2] += (width / 2 - c[0], height / 2 - c[1] - below)
    size = (max(int(width), 2), max(int(height), 2))
    return cv2.warpAffine(gray, m, size).astype(np.float32)


def eye_dark_fraction(gray: npt.NDArray[np.uint8], landmarks: npt.NDArray[np.floating]) -> float:
    """Share of the eyes' pixels darker than 0.6 of the cheek under them (iris and pupil)."""
    values = []
    for a, b in ((36, 39), (42, 45)):
        p, q = landmarks[a], landmarks[b]
        w = float(np.linalg.norm(q - p))
        eye = _strip(gray, p, q, w * 0.8, w * 0.45, 0.0)
        cheek = _strip(gray, p, q, w * 0.8, w * 0.4, w * 0.75)
        values.append(float((eye < 0.6 * float(np.median(cheek))).mean()))
    return float(np.mean(values))


def measure(gray: npt.NDArray[np.uint8], landmarks: npt.NDArray[np.floating]) -> Cues:
    """The challenge's cues of one frame from its 68 landmarks in frame pixels."""
    lm = np.asarray(landmarks, dtype=np.float64)
    # eye centres from the corners only: they stay put when the lids close
    five = np.array([(lm[36] + lm[39]) / 2, (lm[42] + lm[45]) / 2, lm[30], lm[48], lm[54]])
    yaw, pitch, _ = head_pose(five)
    width = float(np.linalg.norm(lm[64] - lm[60])) or 1.0
    mouth = float(np.linalg.norm(lm[66] - lm[62])) / width
    return Cues(yaw, pitch, mouth, face_ear(lm), eye_dark_fraction(gray, lm))


class LivenessCheck:
    """One face track's liveness: a challenge and the mean passive score."""

    def __init__(self, settings: LivenessSettings, rng: random.Random | None = None) -> None:
        self.settings = settings
        self._rng = rng
        self.challenge: Challenge | None = None
        self._scores: list[float] = []

    def start(self, t: float) -> tuple[Action, ...]:
        """Begin a new track at `t`: pick the actions to ask (none unless mode `challenge`)."""
        self._scores = []
        self.challenge = None
        if self.settings.mode != "challenge":
            return ()
        actions = pick(self.settings.challenge, self._rng)
        self.challenge = Challenge(actions, t, self.settings.challenge)
        return actions

    def add(self, cues: Cues | None, real_score: float | None, t: float) -> None:
        """One frame's cues (None unless a challenge runs) and passive score."""
        if real_score is not None:
            self._scores.append(real_score)
        if self.challenge is not None and cues is not None:
            self.challenge.feed(cues, t)

    @property
    def scores(self) -> tuple[float, ...]:
        """Every frame's MiniFASNet score of the track so far."""
        return tuple(self._scores)

    @property
    def real_score(self) -> float | None:
        """Mean MiniFASNet score over the track so far."""
        return float(np.mean(self._scores)) if self._scores else None

    def state(self) -> Literal["waiting", "passed", "failed"]:
        """Whether the track has shown liveness, failed it, or may still show it."""
        s = self.settings
        if s.mode == "off":
            return "passed"
        score = self.real_score
        passive_ok = s.min_real <= 0 or (score is not None and score >= s.min_real)
        if s.mode == "passive":
            if len(self._scores) < s.passive_frames:
                return "waiting"
            return "passed" if passive_ok else "failed"
        assert self.challenge is not None
        if self.challenge.state == "passed":
            return "passed" if passive_ok else "failed"
        return self.challenge.state

    def verdict(self) -> Liveness:
        """The wire record of this track's liveness."""
        s = self.settings
        if s.mode == "off":
            return Liveness(passed=True, method="off")
        score = self.real_score
        c = self.challenge
        return Liveness(
            passed=self.state() == "passed",
            method="challenge+minifasnet" if s.mode == "challenge" else "minifasnet",
            challenge=",".join(c.actions) if c is not None else None,
            real_score=None if score is None else round(score, 3),
        )

    @property
    def failure(self) -> str | None:
        """Why the track failed: timeout, wrong_action or spoof."""
        if self.state() != "failed":
            return None
        c = self.challenge
        if c is not None and c.state == "failed":
            return c.reason
        return "spoof"
