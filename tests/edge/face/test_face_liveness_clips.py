"""Challenge-response and MiniFASNet on synthetic clips of an enrolled person (edge/face/clips.py).

The clips are warps of a real probe photo, a simulated print and a simulated phone screen: the
outcomes are of those clips, not of camera recordings (docs/face.md). The full set with rates
is `hallkeeper face liveness`; these are one of each kind.
"""

from __future__ import annotations

import hashlib
import random

from edge.face.antispoof import model_files
from edge.face.clips import as_screen_replay
from edge.face.matcher import Matcher
from edge.face.pipeline import FacePipeline
from edge.face.trials import run_clip
from tests.edge.face.photos import gallery_templates, performance

SHA256 = {
    "face_detection_yunet_2023mar.onnx": "8f2383e4dd3cfbb4553ea8718107fc04"
    "23210dc964f9f4280604804ed2552fa4",
    "2.7_80x80_MiniFASNetV2.onnx": "7b6a05c046c626577e69311782317be9"
    "3536eea9e623712fa19f08b46af80c7e",
    "4_0_0_80x80_MiniFASNetV1SE.onnx": "1531cc6379df487b2e5e29488a879222"
    "776456f5c08c41130fe1640184c5b8a8",
}


def test_shipped_models_are_the_recorded_files() -> None:
    for path in model_files():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == SHA256[path.name]
        assert (path.parent / "README.md").exists()
    licences = {p.name for p in model_files()[0].parent.glob("LICENSE.*")}
    assert licences == {"LICENSE.yunet.MIT.txt", "LICENSE.minifasnet.Apache-2.0.txt"}


def test_screen_replays_wrong_action_refused_right_action_caught_by_minifasnet() -> None:
    perf = performance("obama")
    matcher = Matcher(gallery_templates())
    still = as_screen_replay(perf.neutral, seed=1)

    def wrong(asked: tuple[str, ...]) -> list:
        # the attacker's recording shows other actions than the ones asked
        other = [a for a in perf.actions if a not in asked][:2]
        return as_screen_replay([f for a in other for f in perf.actions[a]], seed=2)

    d, asked, _, _ = run_clip(FacePipeline(matcher, rng=random.Random(4)), still, wrong)
    assert d is not None and d.kind == "rejected" and d.reason == "liveness_failed"
    assert d.detail in ("wrong_action", "timeout") and len(asked) == 2

    def right(asked: tuple[str, ...]) -> list:
        # the lucky guess: the replay shows exactly the asked actions; only MiniFASNet is left
        return as_screen_replay([f for a in asked for f in perf.actions[a]], seed=3)

    pipeline = FacePipeline(matcher, rng=random.Random(5))
    d, _, _, _ = run_clip(pipeline, still, right)
    assert d is not None and d.kind == "rejected" and d.detail == "spoof"
    assert pipeline.liveness.challenge is not None
    assert pipeline.liveness.challenge.state == "passed"  # the guess did fool the challenge
    assert (pipeline.liveness.real_score or 1) < 0.5
