"""Pure pieces of the face terminal: matcher, vote, dedup, rate limit, motion gate, liveness."""

from __future__ import annotations

import numpy as np
import pytest

from edge.face.challenge import (
    ACTIONS,
    PROMPTS,
    Challenge,
    ChallengeSettings,
    Cues,
    pick,
    prompt,
)
from edge.face.liveness import LivenessCheck, LivenessSettings
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


def cues(**change: float) -> Cues:
    """A frontal face's cues, with some changed."""
    base = {"yaw": 0.05, "pitch": 0.02, "mouth": 0.1, "ear": 0.3, "eye_dark": 0.4}
    return Cues(**{**base, **change})


def play(challenge: Challenge, frames: list[Cues], t0: float = 0.0) -> str:
    """Feed cues at 10 fps after three still baseline frames."""
    for i, c in enumerate([cues()] * 3 + frames):
        challenge.feed(c, t0 + i / 10)
    return challenge.state


TURN_LEFT = [cues(yaw=y) for y in (0.1, 0.25, 0.35, 0.25, 0.05)]
OPEN_MOUTH = [cues(mouth=m) for m in (0.15, 0.3, 0.3, 0.12)]
BLINK = [cues(eye_dark=d) for d in (0.4, 0.1, 0.05, 0.38)]
NOD = [cues(pitch=p) for p in (0.06, 0.15, 0.18, 0.05, 0.02)]


def test_challenge_passes_only_the_asked_actions_in_order() -> None:
    ok = Challenge(("turn_left", "open_mouth"), 0.0)
    assert play(ok, TURN_LEFT + BLINK + OPEN_MOUTH) == "passed"  # a natural blink is allowed
    assert ok.seen == ["turn_left", "blink", "open_mouth"]
    swapped = Challenge(("turn_left", "open_mouth"), 0.0)
    assert play(swapped, OPEN_MOUTH + TURN_LEFT) == "failed"
    assert swapped.reason == "wrong_action"
    # a replay cycling through every action is refused at its first wrong one
    cycling = Challenge(("nod", "blink_twice"), 0.0)
    assert play(cycling, TURN_LEFT + NOD + BLINK + BLINK) == "failed"
    assert cycling.reason == "wrong_action"
    twice = Challenge(("blink_twice",), 0.0)
    assert play(twice, BLINK) == "waiting" and play(twice, BLINK) == "passed"
    nod = Challenge(("nod",), 0.0)
    assert play(nod, NOD) == "passed"


def test_still_or_moved_photo_times_out() -> None:
    # a photo moved in front of the camera: the face's cues barely change
    rng = np.random.default_rng(3)
    still = [
        cues(yaw=0.05 + rng.normal(0, 0.02), pitch=0.02 + rng.normal(0, 0.01)) for _ in range(90)
    ]
    c = Challenge(("turn_right",), 0.0, ChallengeSettings(time_limit_s=8.0))
    assert play(c, still) == "failed" and c.reason == "timeout"


def test_challenge_picks_different_actions_and_says_them() -> None:
    import random

    s = ChallengeSettings()
    picks = {pick(s, random.Random(i)) for i in range(200)}
    assert all(len(set(p)) == 2 for p in picks) and len(picks) == 20  # 5 x 4 ordered pairs
    assert prompt(("turn_left", "open_mouth")) == "请向左转头，然后请张嘴"
    assert set(PROMPTS) == set(ACTIONS)


def test_liveness_check_needs_challenge_and_passive_score() -> None:
    import random

    check = LivenessCheck(LivenessSettings(min_real=0.5), random.Random(1))
    actions = check.start(0.0)
    assert len(actions) == 2 and check.state() == "waiting"
    frames = {
        "turn_left": TURN_LEFT,
        "turn_right": [cues(yaw=-c.yaw) for c in TURN_LEFT],
        "open_mouth": OPEN_MOUTH,
        "blink_twice": BLINK + BLINK,
        "nod": NOD,
    }
    for i, c in enumerate([cues()] * 3 + [f for a in actions for f in frames[a]]):
        check.add(c, 0.3, i / 10)  # a screen-like passive score
    assert check.challenge is not None and check.challenge.state == "passed"
    assert check.state() == "failed" and check.failure == "spoof"
    v = check.verdict()
    assert not v.passed and v.challenge == ",".join(actions) and v.real_score == 0.3
    assert LivenessCheck(LivenessSettings(mode="off")).verdict().passed


def test_the_face_driver_loads_no_vision_stack_until_a_terminal_starts() -> None:
    # an agent of serial devices imports every driver: dlib's models (~120 MB) must not load
    import subprocess
    import sys

    code = (
        "import sys, edge.agent, edge.drivers.face_terminal;"
        "print(sorted(m for m in ('cv2', 'dlib', 'face_recognition') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
