"""Challenge-response liveness: the terminal asks for one or two actions and reads them back.

At each recognition the terminal picks one or two different actions at random (blink twice,
turn the head left, turn it right, nod, open the mouth), says them in Mandarin and shows them,
and accepts only when the face performs them, in that order, within `time_limit_s`. A recorded
video plays the wrong action in most tries: with five actions and two asked in order, a replay
of one fixed clip matches 1 time in 20 at best, and a clip showing a different action first is
refused at once (`wrong_action`), so cycling through a video of every action does not help.

Per frame the pipeline measures cues of the face (`Cues`, from dlib's 68 landmarks on the YuNet
box): head yaw and pitch (edge/face/detect.head_pose on the eye centres, nose tip and mouth
corners), the mouth's opening (inner lip gap over mouth width), the eye aspect ratio and the
eyes' dark fraction (pixels between the eye corners darker than 0.6 of the cheek under them: an
open eye shows iris and pupil, a closed one skin; dlib's landmarks often miss closed eyes, the
dark fraction does not). Each cue is judged against the face's own baseline, the median of its
first frames, so a face that is naturally turned or has narrow eyes is judged fairly.

What this stops: a photo (printed or on a screen) held up or moved, and a replay of a video in
which the person does something else. What it does not stop: a live accomplice wearing a
realistic mask, an attacker who has videos of every action and switches to the right one
within the time limit, or a stream injected into the camera's cable. The passive MiniFASNet
check (edge/face/antispoof.py) is added against screens and prints.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Action = Literal["blink_twice", "turn_left", "turn_right", "nod", "open_mouth"]
ACTIONS: tuple[Action, ...] = ("blink_twice", "turn_left", "turn_right", "nod", "open_mouth")
PROMPTS: dict[str, str] = {
    "blink_twice": "请眨两次眼",
    "turn_left": "请向左转头",
    "turn_right": "请向右转头",
    "nod": "请点头",
    "open_mouth": "请张嘴",
}
"""What the terminal says and shows for each action (Mandarin)."""

State = Literal["waiting", "passed", "failed"]
FailReason = Literal["timeout", "wrong_action"]


@dataclass(frozen=True, slots=True)
class Cues:
    """What one frame shows of the face (dimensionless; see the module text)."""

    yaw: float
    pitch: float
    mouth: float
    ear: float
    eye_dark: float


@dataclass(frozen=True, slots=True)
class ChallengeSettings:
    """How many actions, how long, and the thresholds relative to the face's baseline."""

    actions: tuple[Action, ...] = ACTIONS
    """The actions the terminal may ask."""
    count: int = 2
    """Actions asked per recognition (1 or 2, all different)."""
    time_limit_s: float = 8.0
    baseline_frames: int = 3
    turn: float = 0.15
    """Yaw change (eye distances of nose offset) that is a head turn."""
    nod: float = 0.08
    """Pitch change (share of the eye-to-mouth span) that is a nod."""
    mouth: float = 0.08
    """Mouth opening (inner lip gap over mouth width) above baseline that is an open mouth."""
    closed_ratio: float = 0.55
    """Eye dark fraction below this share of its baseline (or EAR below 0.7 of it): closed."""
    open_ratio: float = 0.8
    """Eye dark fraction back above this share of its baseline: open again."""


def pick(settings: ChallengeSettings, rng: random.Random | None = None) -> tuple[Action, ...]:
    """A random challenge: `count` different actions in random order."""
    r = rng or random.SystemRandom()
    return tuple(r.sample(list(settings.actions), min(settings.count, len(settings.actions))))


def prompt(actions: Sequence[str]) -> str:
    """The sentence the terminal says for a challenge, e.g. `请向左转头，然后请张嘴`."""
    return "，然后".join(PROMPTS[a] for a in actions)


@dataclass
class Challenge:
    """One challenge being answered by one face track (pure; frame times are seconds)."""

    actions: tuple[Action, ...]
    started: float
    settings: ChallengeSettings = field(default_factory=ChallengeSettings)
    state: State = "waiting"
    reason: FailReason | None = None
    done: int = 0
    """How many of the actions have been performed."""
    seen: list[str] = field(default_factory=list)
    """Actions recognised so far, in order (for the record and for tests)."""
    _base: list[Cues] = field(default_factory=list)
    _baseline: Cues | None = None
    _active: str | None = None
    _eye_closed: bool = False
    _blinks: int = 0

    def feed(self, cues: Cues, t: float) -> State:
        """Add one frame's cues seen at `t`; the challenge's state after it."""
        if self.state != "waiting":
            return self.state
        if t - self.started > self.settings.time_limit_s:
            return self._fail("timeout")
        if self._baseline is None:
            self._base.append(cues)
            if len(self._base) >= self.settings.baseline_frames:
                self._baseline = Cues(
                    *(float(np.median([getattr(c, f) for c in self._base])) for f in Cues.__slots__)
                )
            return self.state
        for action in self._events(cues):
            self.seen.append(action)
            expected = self.actions[self.done]
            if action == expected:
                self.done += 1
                self._blinks = 0
                if self.done == len(self.actions):
                    self.state = "passed"
                    return self.state
            elif action != "blink":  # natural blinks are never a wrong action
                return self._fail("wrong_action")
        return self.state

    def _fail(self, reason: FailReason) -> State:
        self.state, self.reason = "failed", reason
        return self.state

    def _events(self, c: Cues) -> list[str]:
        """Actions completed at this frame (an action completes when the face comes back)."""
        s, b = self.settings, self._baseline
        assert b is not None
        out: list[str] = []
        dyaw, dpitch, dmouth = c.yaw - b.yaw, c.pitch - b.pitch, c.mouth - b.mouth
        # eyes: a blink is closed then open again
        dark_ratio = c.eye_dark / b.eye_dark if b.eye_dark > 0.02 else 1.0
        ear_ratio = c.ear / b.ear if b.ear > 0 else 1.0
        if not self._eye_closed and (dark_ratio < s.closed_ratio or ear_ratio < 0.7):
            self._eye_closed = True
        elif self._eye_closed and dark_ratio > s.open_ratio and ear_ratio > 0.8:
            self._eye_closed = False
            self._blinks += 1
            out.append("blink")
            if self._blinks == 2:
                out.append("blink_twice")
        # head and mouth: one movement at a time, completed on the way back
        if self._active is None:
            if dyaw > s.turn:
                self._active = "turn_left"
            elif dyaw < -s.turn:
                self._active = "turn_right"
            elif dmouth > s.mouth:
                self._active = "open_mouth"
            elif abs(dpitch) > s.nod and abs(dyaw) < s.turn / 2 and not self._eye_closed:
                self._active = "nod"
        else:
            back = {
                "turn_left": dyaw < s.turn / 2,
                "turn_right": dyaw > -s.turn / 2,
                "open_mouth": dmouth < s.mouth / 2,
                "nod": abs(dpitch) < s.nod / 2,
            }[self._active]
            if back:
                out.append(self._active)
                self._active = None
        if "blink_twice" in out and self.actions[self.done] != "blink_twice":
            out.remove("blink_twice")
        return out

    @property
    def remaining(self) -> tuple[Action, ...]:
        """The actions still to perform."""
        return self.actions[self.done :]
