"""Pure pieces of the face terminal: matcher, vote, dedup, rate limit, motion gate, liveness."""

from __future__ import annotations

import numpy as np
import pytest

from edge.face.liveness import LivenessSettings, LivenessTracker, face_ear, nonrigid_residual
from edge.face.matcher import Matcher
from edge.face.motion import MotionGate, MotionSettings
from edge.face.vote import DedupWindow, FrameVote, RateLimiter

RNG = np.random.default_rng(7)


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def test_matcher_accepts_near_refuses_far_and_ambiguous() -> None:
    a, b = unit(RNG.normal(size=128)), unit(RNG.normal(size=128))
    m = Matcher({"a": [a * 0.5], "b": [b * 0.5]}, threshold=0.45, margin=0.06)
    near_a = a * 0.5 + unit(RNG.normal(size=128)) * 0.2
    assert m.match(near_a).staff_id == "a"
    assert m.match(near_a).distance == pytest.approx(0.2, abs=1e-4)
    far = a * 0.5 + unit(RNG.normal(size=128)) * 0.5
    assert m.match(far).reason == "no_match" and m.match(far).staff_id is None
    # two people closer to each other than the margin: refused as ambiguous, never guessed
    twins = Matcher({"a": [a * 0.5], "c": [a * 0.5 + unit(RNG.normal(size=128)) * 0.03]})
    assert twins.match(a * 0.5).reason == "ambiguous"
    assert Matcher({}).match(a).reason == "empty_gallery"


def test_matcher_takes_each_persons_nearest_template_and_agrees_with_brute_force() -> None:
    gallery = {
        f"s{i:05d}": RNG.normal(size=(1 + i % 3, 128)).astype(np.float32) * 0.1 for i in range(2000)
    }
    m = Matcher(gallery)
    assert m.people == 2000 and m.templates == sum(len(v) for v in gallery.values())
    q = gallery["s01234"][-1] + np.float32(0.01)
    got = m.person_distances(q)
    brute = np.array([np.linalg.norm(gallery[k] - q, axis=1).min() for k in sorted(gallery)])
    np.testing.assert_allclose(got, brute, atol=1e-4)
    assert m.match(q).staff_id == "s01234"


def test_frame_vote_needs_k_of_n() -> None:
    v = FrameVote(3, 5)
    assert [v.push(x) for x in ["a", None, "b", "a"]] == [None, None, None, None]
    assert v.push("a") == "a"
    v.reset()
    assert v.push("a") is None and len(v) == 1
    with pytest.raises(ValueError):
        FrameVote(4, 3)


def test_dedup_window_and_rate_limiter() -> None:
    d = DedupWindow(60)
    assert not d.is_duplicate("a", 0)
    d.record("a", 0)
    assert d.is_duplicate("a", 59.9) and not d.is_duplicate("a", 60) and not d.is_duplicate("b", 1)
    r = RateLimiter(30)
    assert [r.allow(t) for t in (0, 10, 29.9, 30, 31)] == [True, False, False, True, False]


def test_motion_gate_opens_on_change_and_holds() -> None:
    gate = MotionGate(MotionSettings(hold_s=2.0))
    still = np.full((90, 160), 100, dtype=np.uint8)
    assert gate.update(still, 0.0)  # first frame counts as motion
    assert gate.update(still, 1.9)
    assert not gate.update(still, 2.5)
    moved = still.copy()
    moved[20:60, 40:100] = 200
    assert gate.update(moved, 3.0) and gate.last_score > 0.1


def face_points(eye_open: float = 1.0) -> np.ndarray:
    """68 plausible landmarks; eyes' lids scaled by `eye_open` (EAR ~0.3 open)."""
    pts = RNG.uniform(0, 100, size=(68, 2))
    for start, cx in ((36, 30.0), (42, 70.0)):
        h = 3.0 * eye_open
        pts[start : start + 6] = [
            (cx - 10, 40),
            (cx - 4, 40 - h),
            (cx + 4, 40 - h),
            (cx + 10, 40),
            (cx + 4, 40 + h),
            (cx - 4, 40 + h),
        ]
    return pts


def test_ear_and_blink_sequence_passes() -> None:
    base = face_points()
    assert face_ear(base) == pytest.approx(0.3)
    t = LivenessTracker(LivenessSettings(mode="blink"))
    for i, opening in enumerate([1.0, 1.0, 0.3, 0.2, 1.0]):
        closed = base.copy()
        closed[36:48] = face_points(opening)[36:48]
        t.add(closed, i * 0.1)
    v = t.verdict()
    assert v.passed and v.blink and v.method == "blink"


def test_static_or_rigidly_moved_face_fails_liveness() -> None:
    # rule: a still photo held up (even when moved, turned or brought closer) shows no blink
    # and no non-rigid motion
    base = face_points()
    for mode in ("blink", "motion", "blink+motion"):
        t = LivenessTracker(LivenessSettings(mode=mode, window_s=1.0))  # type: ignore[arg-type]
        for i in range(12):
            angle = 0.05 * i
            rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
            t.add((base @ rot.T) * (1 + 0.03 * i) + 5 * i, i * 0.1)
        v = t.verdict()
        assert not v.passed, mode
        assert v.motion is not None and v.motion < 1e-6
        assert t.expired(1.2)
    assert nonrigid_residual(base, base + RNG.normal(size=base.shape) * 2) > 0.02
    assert LivenessTracker(LivenessSettings(mode="off")).verdict().passed
