"""Liveness trials: genuine and attack clips of enrolled people through the real pipeline.

Each subject is a probe photo of an enrolled person that is not one of their enrollment photos
(edge/face/clips.py animates it). For each subject, seeded and repeatable:

- `genuine`: the person at the terminal does what it asks (the performer plays each asked
  action's clip); expected: a punch.
- `photo`: a print of the photo held up and moved for longer than the time limit; expected:
  refused.
- `replay_wrong`: a phone replay of the person's own recorded clip of a different challenge;
  expected: refused (wrong action, or time limit).
- `replay_right`: a phone replay that happens to show the asked actions (the 1-in-20 guess);
  only the passive check can refuse it: reported, not a pass/fail of the challenge.

Every clip is synthetic (a warp of a still photo, a simulated print or screen), never a camera
recording: the rates are of these clips, with that caveat (docs/face.md).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from edge.face import clips
from edge.face.challenge import ACTIONS
from edge.face.matcher import Matcher
from edge.face.pipeline import Decision, FacePipeline, PipelineSettings

Kind = Literal["genuine", "photo", "replay_wrong", "replay_right"]
SUBJECTS: tuple[tuple[str, str, int], ...] = (
    ("obama", "probe/obama1.jpg", 0),
    ("alex_lacamoire", "probe/alex_lacamoire1.jpg", 0),
    ("kit_harington", "probe/johnsnow_test1.jpg", 0),
    ("biden", "probe/obama_and_biden.jpg", 0),
    ("rose_leslie", "probe/kit_with_rose.jpg", 0),
)
"""(staff id, probe photo under the faces folder, face number left to right)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the terminal decided for one trial clip."""

    subject: str
    kind: Kind
    asked: tuple[str, ...]
    punched: str | None
    refused: str | None
    """Refusal reason (no_match, ambiguous, timeout, wrong_action, spoof), or None."""
    frames: int
    decision_s: float | None
    """Clip time from the face's first frame to the decision."""
    real_score: float | None
    """The track's MiniFASNet score (the mean of its frames'), as the terminal judged it."""
    cpu_s: float
    frame_scores: tuple[float, ...] = ()


@dataclass
class Summary:
    """Counts per kind and the rates the issue asks for."""

    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, kind: Kind, ok: Callable[[Outcome], bool]) -> tuple[int, int]:
        """(how many of `kind` satisfy `ok`, how many of `kind`)."""
        of = [o for o in self.outcomes if o.kind == kind]
        return sum(ok(o) for o in of), len(of)

    def rates(self) -> dict[str, object]:
        """Genuine acceptance, attack rejection (challenge attacks), guessed-replay rejection."""
        g_ok, g_n = self.count("genuine", lambda o: o.punched == o.subject)
        attacks = [o for o in self.outcomes if o.kind in ("photo", "replay_wrong")]
        a_ok = sum(o.punched is None for o in attacks)
        r_ok, r_n = self.count("replay_right", lambda o: o.punched is None)
        times = sorted(o.decision_s for o in self.outcomes if o.kind == "genuine" and o.decision_s)
        return {
            "genuine_accepted": f"{g_ok}/{g_n}",
            "attacks_rejected": f"{a_ok}/{len(attacks)}",
            "photo_rejected": "{}/{}".format(*self.count("photo", lambda o: o.punched is None)),
            "replay_wrong_rejected": "{}/{}".format(
                *self.count("replay_wrong", lambda o: o.punched is None)
            ),
            "replay_right_rejected_by_minifasnet": f"{r_ok}/{r_n}",
            "genuine_decision_s_median": times[len(times) // 2] if times else None,
        }


def _spread(values: Sequence[float]) -> dict[str, object]:
    if not values:
        return {"n": 0}
    v = sorted(values)
    return {
        "n": len(v),
        "min": round(v[0], 3),
        "p10": round(v[len(v) // 10], 3),
        "median": round(v[len(v) // 2], 3),
        "max": round(v[-1], 3),
    }


def score_table(outcomes: Sequence[Outcome]) -> dict[str, dict[str, dict[str, object]]]:
    """MiniFASNet scores by kind of clip: of the tracks (what the terminal judges against
    `min_real`) and of their single frames. Genuine against the attacks is the evidence a
    threshold is chosen from."""
    kinds: tuple[Kind, ...] = ("genuine", "photo", "replay_wrong", "replay_right")
    table: dict[str, dict[str, dict[str, object]]] = {}
    for kind in kinds:
        of = [o for o in outcomes if o.kind == kind]
        table[kind] = {
            "track": _spread([o.real_score for o in of if o.real_score is not None]),
            "frame": _spread([s for o in of for s in o.frame_scores]),
        }
    return table


def run_clip(
    pipeline: FacePipeline,
    neutral: list[clips.Frame],
    respond: Callable[[tuple[str, ...]], list[clips.Frame]] | None,
    attack: list[clips.Frame] | None = None,
    fps: float = clips.FPS,
    max_frames: int = 200,
) -> tuple[Decision | None, tuple[str, ...], int, float | None]:
    """Play a clip into the pipeline until a punch or a refusal.

    With `respond`, the person stands still (`neutral`) until asked, then plays
    `respond(actions)`; with `attack`, those frames play whatever is asked (looped).
    """
    i = 0
    asked: tuple[str, ...] = ()
    first_t: float | None = None
    queue: list[clips.Frame] = list(attack or neutral)
    while i < max_frames:
        if not queue:
            queue = list(attack or neutral)
        frame = queue.pop(0)
        t = i / fps
        i += 1
        d = pipeline.process(frame, t)
        if d.box is not None and first_t is None:
            first_t = t
        if d.kind == "challenge":
            asked = d.actions
            if respond is not None:
                queue = respond(d.actions) + list(neutral)
        if d.kind in ("punch", "rejected", "duplicate"):
            return d, asked, i, t - (first_t or 0.0)
    return None, asked, i, None


def _trial(
    summary: Summary,
    pipeline: FacePipeline,
    staff_id: str,
    kind: Kind,
    still: list[clips.Frame],
    respond: Callable[[tuple[str, ...]], list[clips.Frame]] | None = None,
    attack: list[clips.Frame] | None = None,
) -> None:
    started = time.process_time()
    d, asked, frames, at = run_clip(pipeline, still, respond, attack)
    refused: str | None = "no_decision"
    if d is not None:
        refused = (d.detail or d.reason) if d.kind == "rejected" else None
    summary.outcomes.append(
        Outcome(
            staff_id,
            kind,
            asked,
            d.staff_id if d is not None and d.kind == "punch" else None,
            refused,
            frames,
            at,
            pipeline.liveness.real_score,
            time.process_time() - started,
            pipeline.liveness.scores,
        )
    )


def _wrong(
    perf: clips.Performance, rng: random.Random, seed: int
) -> Callable[[tuple[str, ...]], list[clips.Frame]]:
    """A phone replay of the person's recorded clip of another challenge."""

    def respond(asked: tuple[str, ...]) -> list[clips.Frame]:
        others = [a for a in ACTIONS if a not in asked[:1]]
        recorded = rng.sample(others, min(len(asked), len(others)))
        return clips.as_screen_replay([f for a in recorded for f in perf.actions[a]], seed=seed)

    return respond


def _right(perf: clips.Performance, seed: int) -> Callable[[tuple[str, ...]], list[clips.Frame]]:
    """The lucky guess: a phone replay showing exactly the asked actions."""

    def respond(asked: tuple[str, ...]) -> list[clips.Frame]:
        return clips.as_screen_replay([f for a in asked for f in perf.actions[a]], seed=seed)

    return respond


def _genuine(perf: clips.Performance) -> Callable[[tuple[str, ...]], list[clips.Frame]]:
    """The person does what is asked."""

    def respond(asked: tuple[str, ...]) -> list[clips.Frame]:
        return [f for a in asked for f in perf.actions[a]]

    return respond


def run_trials(
    faces: Path,
    templates: Mapping[str, Any],
    *,
    subjects: Iterable[tuple[str, str, int]] = SUBJECTS,
    genuine: int = 4,
    replays: int = 2,
    settings: PipelineSettings | None = None,
    progress: Callable[[str], None] | None = None,
) -> Summary:
    """Render every subject's clips and play each trial into a fresh pipeline."""
    summary = Summary()
    matcher = Matcher(templates)
    for n, (staff_id, photo, face) in enumerate(subjects):
        subject = clips.subject_from_photo(faces / photo, face, staff_id)
        perf = clips.perform(subject, seed=n)
        rng = random.Random(n)

        def pipeline(rng: random.Random = rng) -> FacePipeline:
            return FacePipeline(matcher, settings, rng=rng)

        for _ in range(genuine):
            _trial(summary, pipeline(), staff_id, "genuine", perf.neutral, _genuine(perf))
        photo_clip = clips.render_photo_attack(subject, seed=n, frames=40) * 3
        _trial(summary, pipeline(), staff_id, "photo", [], attack=photo_clip)
        screen_still = clips.as_screen_replay(perf.neutral, seed=n)
        for k in range(replays):
            wrong = _wrong(perf, rng, n * 10 + k)
            _trial(summary, pipeline(), staff_id, "replay_wrong", screen_still, wrong)
            right = _right(perf, n * 10 + k + 5)
            _trial(summary, pipeline(), staff_id, "replay_right", screen_still, right)
        if progress is not None:
            progress(staff_id)
    return summary
