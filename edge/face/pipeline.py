"""Frame -> decision: motion gate, YuNet detection, crop encoding, match, vote, liveness.

The terminal serves one person at a time: the largest face in the frame is the one judged.
Frames carry their own time `t` (seconds), so recorded clips give the same decisions as live
ones. A face track is the run of frames in which a face is seen with gaps under `track_gap_s`.
When a track starts the terminal asks its challenge (a `challenge` decision carrying the
actions, which the driver says and shows); every frame then feeds the challenge and the passive
check (edge/face/liveness.py), and frames are encoded until the k-of-n vote has named someone.
The track ends in one decision: punch (vote and liveness passed), duplicate, or a refusal
(stranger, ambiguous face, or liveness failed: the wrong action, the time limit, or a spoof).
It then stays settled until the face leaves, a re-check every `recheck_s` finds someone else in
front, or the face box jumps elsewhere. The detector is YuNet; dlib's HOG stays for halls that
choose it (`detector = "hog"`).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from edge.face import encode as enc
from edge.face.detect import Detected, YuNetDetector
from edge.face.liveness import LivenessCheck, LivenessSettings, measure
from edge.face.matcher import Match, Matcher
from edge.face.motion import MotionGate, MotionSettings
from edge.face.vote import DedupWindow, FrameVote
from models.events import Liveness

logger = logging.getLogger(__name__)

DecisionKind = Literal[
    "idle", "no_face", "challenge", "pending", "settled", "punch", "duplicate", "rejected"
]
RejectReason = Literal["no_match", "ambiguous", "liveness_failed"]


DETECT_MAX_SIDE = {"yunet": 320, "hog": 640}
"""Default detection side per detector. YuNet finds faces from ~10 px, so at 320 px the smallest
face judged (`min_face_px` 80 of a 720p frame) is still 20 px, and it takes 5 ms there against
14 ms at 640 (OpenCV 5.1, this 2-core host); its boxes at 320 give encodings within 0.04
(median) of those at 640, the same spread as between 400, 480 and 640. HOG needs faces of
~80 px in its input, so it keeps 640. A 1080p camera with faces of ~80 px: set 480."""
ENROLL_DETECT_SIDE = 640
"""Enrollment sorts its frames by the head's yaw from YuNet's five landmarks (pose bins,
edge/face/enroll.py), steadier at 640 px than at 320: it detects on at least this side."""


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """Every knob of the terminal's pipeline (the driver's config fills these)."""

    detector: Literal["yunet", "hog"] = "yunet"
    detect_max_side: int | None = None
    """Detection runs on the frame shrunk so its longer side is this many pixels (None: the
    detector's own default, `DETECT_MAX_SIDE`)."""
    upsample: int = 0
    """HOG upsampling on the shrunk frame (0: faces >= ~80 px there)."""
    min_face_px: int = 80
    """Faces narrower than this (full-size pixels) are too far away to judge."""
    motion_side: int = 160
    vote_k: int = 3
    vote_n: int = 5
    dedup_s: float = 60.0
    """One punch per person per this many seconds (the hub applies its own dedup_s too)."""
    track_gap_s: float = 1.5
    new_face_iou: float = 0.3
    """A face box overlapping the previous one less than this starts a new track."""
    recheck_s: float = 1.0
    """After a decision, re-identify the face this often (the next person may step in)."""
    motion: MotionSettings = field(default_factory=MotionSettings)
    liveness: LivenessSettings = field(default_factory=LivenessSettings)

    def detect_side(self, detector: Literal["yunet", "hog"]) -> int:
        """The detection side for `detector`: the setting, or that detector's default."""
        return self.detect_max_side or DETECT_MAX_SIDE[detector]


@dataclass(frozen=True, slots=True)
class Decision:
    """What the pipeline made of one frame."""

    kind: DecisionKind
    staff_id: str | None = None
    distance: float | None = None
    liveness: Liveness | None = None
    reason: RejectReason | None = None
    box: enc.Box | None = None
    actions: tuple[str, ...] = ()
    """The challenge asked (kind `challenge`), or still to perform (kind `pending`)."""
    detail: str | None = None
    """Why liveness failed: timeout, wrong_action or spoof."""
    encoding: npt.NDArray[np.float64] | None = None
    """The punch's closest encoding (the terminal may offer it as a new template)."""


@dataclass(frozen=True, slots=True)
class _Face:
    box: enc.Box
    yunet_box: tuple[float, float, float, float] | None


def _shrink(image: enc.Image, max_side: int) -> enc.Image:
    h, w = image.shape[:2]
    if max(h, w) <= max_side:
        return image
    s = max_side / max(h, w)
    return cv2.resize(image, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)


def _iou(a: enc.Box, b: enc.Box) -> float:
    """Intersection over union of two (top, right, bottom, left) boxes."""
    top, bottom = max(a[0], b[0]), min(a[2], b[2])
    left, right = max(a[3], b[3]), min(a[1], b[1])
    inter = max(0, bottom - top) * max(0, right - left)
    area = (a[2] - a[0]) * (a[1] - a[3]) + (b[2] - b[0]) * (b[1] - b[3]) - inter
    return inter / area if area > 0 else 0.0


class FacePipeline:
    """The terminal's recognition pipeline; not thread-safe (one capture thread feeds it)."""

    def __init__(
        self,
        matcher: Matcher,
        settings: PipelineSettings | None = None,
        dedup: DedupWindow | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = s = settings or PipelineSettings()
        self.matcher = matcher
        self.gate = MotionGate(s.motion)
        self.vote = FrameVote(s.vote_k, s.vote_n)
        self.dedup = dedup if dedup is not None else DedupWindow(s.dedup_s)
        self.liveness = LivenessCheck(s.liveness, rng)
        self._detector: YuNetDetector | None = None
        self._yunet: YuNetDetector | None = None
        if s.detector == "yunet":
            self._detector = YuNetDetector(max_side=s.detect_side("yunet"))
        self._antispoof = None
        if s.liveness.mode != "off" and s.liveness.min_real > 0:
            from edge.face.antispoof import AntiSpoof

            self._antispoof = AntiSpoof.load()
        self._last_face_t: float | None = None
        self._last_box: enc.Box | None = None
        self._track = False
        self._settled = False
        self._settled_id: str | None = None
        self._checked_t = 0.0
        self._best: dict[str, float] = {}
        self._best_encoding: dict[str, npt.NDArray[np.float64] | None] = {}
        self._encoding: npt.NDArray[np.float64] | None = None
        self._winner: str | None = None

    def set_matcher(self, matcher: Matcher) -> None:
        """Swap the gallery (after a sync or an erasure); the current track starts over."""
        self.matcher = matcher
        self._new_track()

    def enrollment_view(self, frame_bgr: enc.Image) -> tuple[list[Detected], float | None]:
        """Faces (YuNet, with landmarks) and the passive score of a frame, for enrollment."""
        side = max(self.settings.detect_side("yunet"), ENROLL_DETECT_SIDE)
        if self._detector is None:  # a HOG hall still enrolls with YuNet's landmarks
            self._yunet = self._yunet or YuNetDetector(max_side=side)
        detector = self._detector or self._yunet
        faces = detector.detect(frame_bgr, side)  # type: ignore[union-attr]
        score = None
        if self._antispoof is not None and len(faces) == 1:
            score = self._antispoof.score(frame_bgr, faces[0].yunet_box)
        return faces, score

    def reset(self) -> None:
        """Forget the face in front and the motion gate (a camera reconnect; benchmarks)."""
        self.gate.reset()
        self._last_face_t = self._last_box = None
        self._new_track()

    def _new_track(self) -> None:
        self.vote.reset()
        self._track = False
        self._settled, self._settled_id = False, None
        self._best = {}
        self._best_encoding = {}
        self._winner = None

    def _faces(self, frame_bgr: enc.Image, gray: enc.Image) -> list[_Face]:
        s = self.settings
        if self._detector is not None:
            found = [
                _Face(d.box, d.yunet_box)
                for d in self._detector.detect(frame_bgr)
                if d.width >= s.min_face_px
            ]
            return found
        boxes = enc.detect(gray, max_side=s.detect_side("hog"), upsample=s.upsample)
        return [
            _Face(b, (b[3], b[0], b[1] - b[3], b[2] - b[0]))
            for b in sorted(boxes, key=lambda b: -(b[1] - b[3]) * (b[2] - b[0]))
            if b[1] - b[3] >= s.min_face_px
        ]

    def process(self, frame_bgr: enc.Image, t: float) -> Decision:
        """Judge one BGR frame taken at `t` seconds."""
        s = self.settings
        gray = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
        if not self.gate.update(_shrink(gray, s.motion_side), t):
            self._end_track_if_gone(t)
            return Decision("idle")
        faces = self._faces(frame_bgr, gray)
        if not faces:
            self._end_track_if_gone(t)
            return Decision("no_face")
        face = faces[0]
        box = face.box
        if self._last_box is not None and _iou(box, self._last_box) < s.new_face_iou:
            self._new_track()  # someone else stepped in without a gap
        self._last_face_t, self._last_box = t, box
        if self._settled and t - self._checked_t < s.recheck_s:
            return Decision("settled", box=box)
        match: Match | None = None
        if self._winner is None or self._settled:
            encoding = enc.encode_bgr(frame_bgr, box)
            match = self.matcher.match(encoding)
            self._encoding = encoding
            if self._settled:
                if match.staff_id == self._settled_id:
                    self._checked_t = t
                    return Decision("settled", box=box)
                self._new_track()  # the face in front is no longer the one decided
        if not self._track:
            self._track = True
            actions = self.liveness.start(t)
            if actions:
                self._observe(frame_bgr, gray, face, t)
                if match is not None:
                    self._vote(match)
                return Decision("challenge", box=box, actions=actions)
        self._observe(frame_bgr, gray, face, t)
        if self._winner is None and match is not None:
            rejected = self._vote(match)
            if rejected is not None:
                return rejected
        if self._winner is not None:
            return self._decide(self._winner, box, t)
        return Decision("pending", box=box)

    def _observe(self, frame_bgr: enc.Image, gray: enc.Image, face: _Face, t: float) -> None:
        """Feed the liveness check with this frame's cues and passive score."""
        mode = self.settings.liveness.mode
        if mode == "off":
            return
        cues = measure(gray, enc.landmarks68(gray, face.box)) if mode == "challenge" else None
        score = None
        if self._antispoof is not None and face.yunet_box is not None:
            score = self._antispoof.score(frame_bgr, face.yunet_box)
        self.liveness.add(cues, score, t)

    def _vote(self, match: Match) -> Decision | None:
        """Count one frame's match; a refusal when the window has too many misses."""
        s = self.settings
        sid, distance = match.staff_id, match.distance
        if sid is not None and distance is not None and distance < self._best.get(sid, 2.0):
            self._best[sid] = distance
            self._best_encoding[sid] = self._encoding
        self._winner = self.vote.push(match.staff_id)
        full = self._winner is None and len(self.vote) == s.vote_n
        if full and self.vote.misses() > s.vote_n - s.vote_k:
            reason: RejectReason = "ambiguous" if match.reason == "ambiguous" else "no_match"
            self.vote.reset()
            return Decision(
                "rejected",
                distance=match.distance,
                reason=reason,
                box=self._last_box,
                liveness=self.liveness.verdict(),
            )
        return None

    def _settle(self, staff_id: str, t: float) -> None:
        self._settled, self._settled_id, self._checked_t = True, staff_id, t

    def _decide(self, staff_id: str, box: enc.Box, t: float) -> Decision:
        distance = self._best[staff_id]
        if self.dedup.is_duplicate(staff_id, t):
            self._settle(staff_id, t)
            return Decision("duplicate", staff_id=staff_id, distance=distance, box=box)
        state = self.liveness.state()
        if state == "passed":
            self.dedup.record(staff_id, t)
            self._settle(staff_id, t)
            return Decision(
                "punch",
                staff_id=staff_id,
                distance=distance,
                liveness=self.liveness.verdict(),
                box=box,
                encoding=self._best_encoding.get(staff_id),
            )
        if state == "failed":
            verdict, detail = self.liveness.verdict(), self.liveness.failure
            self._new_track()  # refused; the next frames start a new challenge
            self._last_box = None
            return Decision(
                "rejected",
                distance=distance,
                liveness=verdict,
                reason="liveness_failed",
                box=box,
                detail=detail,
            )
        challenge = self.liveness.challenge
        remaining = challenge.remaining if challenge is not None else ()
        return Decision("pending", staff_id=staff_id, box=box, actions=remaining)

    def _end_track_if_gone(self, t: float) -> None:
        if self._last_face_t is not None and t - self._last_face_t > self.settings.track_gap_s:
            self._last_face_t = self._last_box = None
            self._new_track()
