"""Frame -> decision: motion gate, detection on a downscaled frame, crop encoding, match, vote.

The terminal serves one person at a time: the largest face in the frame is the one judged.
Frames carry their own time `t` (seconds), so recorded clips give the same decisions as live
ones. A face track is the run of frames in which a face is seen with gaps under `track_gap_s`;
a track ends in one decision (punch, duplicate, or liveness refusal), then stays settled until
the face leaves, or a re-check every `recheck_s` finds someone else in front (the next person
stepped in without a gap), or the face box jumps elsewhere in the frame.
Strangers are refused per vote window; the caller rate-limits those reports.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import cv2

from edge.face import encode as enc
from edge.face.liveness import LivenessSettings, LivenessTracker
from edge.face.matcher import Matcher
from edge.face.motion import MotionGate, MotionSettings
from edge.face.vote import DedupWindow, FrameVote
from models.events import Liveness

logger = logging.getLogger(__name__)

DecisionKind = Literal["idle", "no_face", "pending", "settled", "punch", "duplicate", "rejected"]


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """Every knob of the terminal's pipeline (the driver's config fills these)."""

    detect_max_side: int = 640
    """Detection runs on the frame shrunk so its longer side is this many pixels."""
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
    """A face box overlapping the previous one less than this starts a new track."""
    motion: MotionSettings = field(default_factory=MotionSettings)
    liveness: LivenessSettings = field(default_factory=LivenessSettings)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the pipeline made of one frame."""

    kind: DecisionKind
    staff_id: str | None = None
    distance: float | None = None
    liveness: Liveness | None = None
    reason: Literal["no_match", "ambiguous", "liveness_failed"] | None = None
    box: enc.Box | None = None


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
    ) -> None:
        self.settings = s = settings or PipelineSettings()
        self.matcher = matcher
        self.gate = MotionGate(s.motion)
        self.vote = FrameVote(s.vote_k, s.vote_n)
        self.dedup = dedup if dedup is not None else DedupWindow(s.dedup_s)
        self.liveness = LivenessTracker(s.liveness)
        self._last_face_t: float | None = None
        self._last_box: enc.Box | None = None
        self._settled = False
        self._settled_id: str | None = None
        self._checked_t = 0.0
        self._best: dict[str, float] = {}

    def set_matcher(self, matcher: Matcher) -> None:
        """Swap the gallery (after a sync or an erasure); the current track starts over."""
        self.matcher = matcher
        self._new_track()

    def _new_track(self) -> None:
        self.vote.reset()
        self.liveness.reset()
        self._settled, self._settled_id = False, None
        self._best = {}

    def process(self, frame_bgr: enc.Image, t: float) -> Decision:
        """Judge one BGR frame taken at `t` seconds."""
        s = self.settings
        gray = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
        if not self.gate.update(_shrink(gray, s.motion_side), t):
            self._end_track_if_gone(t)
            return Decision("idle")
        boxes = [
            b
            for b in enc.detect(gray, max_side=s.detect_max_side, upsample=s.upsample)
            if b[1] - b[3] >= s.min_face_px
        ]
        if not boxes:
            self._end_track_if_gone(t)
            return Decision("no_face")
        box = max(boxes, key=lambda b: (b[1] - b[3]) * (b[2] - b[0]))
        if self._last_box is not None and _iou(box, self._last_box) < s.new_face_iou:
            self._new_track()  # someone else stepped in without a gap
        self._last_face_t, self._last_box = t, box
        if self._settled and t - self._checked_t < s.recheck_s:
            return Decision("settled", box=box)
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        match = self.matcher.match(enc.encode(rgb, box))
        if self._settled:
            if match.staff_id == self._settled_id:
                self._checked_t = t
                return Decision("settled", box=box)
            self._new_track()  # the face in front is no longer the one decided
        if s.liveness.mode != "off":
            self.liveness.add(enc.landmarks68(rgb, box), t)
        if match.staff_id is not None and match.distance is not None:
            self._best[match.staff_id] = min(self._best.get(match.staff_id, 2.0), match.distance)
        winner = self.vote.push(match.staff_id)
        if winner is not None:
            return self._decide(winner, box, t)
        if len(self.vote) == s.vote_n and self.vote.misses() > s.vote_n - s.vote_k:
            reason: Literal["no_match", "ambiguous"] = (
                "ambiguous" if match.reason == "ambiguous" else "no_match"
            )
            self.vote.reset()
            return Decision(
                "rejected",
                distance=match.distance,
                reason=reason,
                box=box,
                liveness=self.liveness.verdict(),
            )
        return Decision("pending", box=box)

    def _settle(self, staff_id: str, t: float) -> None:
        self._settled, self._settled_id, self._checked_t = True, staff_id, t

    def _decide(self, staff_id: str, box: enc.Box, t: float) -> Decision:
        distance = self._best[staff_id]
        if self.dedup.is_duplicate(staff_id, t):
            self._settle(staff_id, t)
            return Decision("duplicate", staff_id=staff_id, distance=distance, box=box)
        verdict = self.liveness.verdict()
        if verdict.passed:
            self.dedup.record(staff_id, t)
            self._settle(staff_id, t)
            return Decision(
                "punch", staff_id=staff_id, distance=distance, liveness=verdict, box=box
            )
        if self.liveness.expired(t):
            self._new_track()  # refused; the person may blink and try again at once
            return Decision(
                "rejected",
                staff_id=None,
                distance=distance,
                liveness=verdict,
                reason="liveness_failed",
                box=box,
            )
        return Decision("pending", staff_id=staff_id, liveness=verdict, box=box)

    def _end_track_if_gone(self, t: float) -> None:
        if self._last_face_t is not None and t - self._last_face_t > self.settings.track_gap_s:
            self._last_face_t = self._last_box = None
            self._new_track()
