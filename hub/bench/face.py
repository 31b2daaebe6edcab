"""Face benchmark: naive full-frame pipeline vs the terminal's pipeline on the same 720p frames.

In one run: the median frame-to-decision time of the naive pipeline (face_recognition's
full-frame HOG detection, upsampled once, plus encoding and a match) and of the terminal's
pipeline (motion gate, detection on the frame shrunk to 640 px, encoding of the face crop only,
1:N match, vote; liveness landmarks as configured by default); one encoding alone; a 1:N match
over 50,000 templates; and the process's peak RSS. Targets (issue 4): pipeline <= 1/3 naive
and <= 1.5 x one encoding; match <= 5 ms at 50k; RSS <= 400 MB.
"""

from __future__ import annotations

import functools
import logging
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

DEFAULT_FRAMES = Path(__file__).resolve().parents[3] / "shared" / "data" / "faces" / "frames"


def _median_ms(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _frames_720p(folder: Path) -> list[Any]:
    """The 720p frames of the folder; other sizes are letterboxed to 1280x720."""
    import cv2

    out = []
    for path in sorted(folder.glob("*.jpg")):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            continue
        h, w = image.shape[:2]
        if (w, h) == (1280, 720):
            out.append(image)
        elif "two_people" in path.name:
            s = min(1280 / w, 720 / h)
            resized = cv2.resize(image, (round(w * s), round(h * s)))
            frame = np.zeros((720, 1280, 3), dtype=np.uint8)
            frame[: resized.shape[0], : resized.shape[1]] = resized
            out.append(frame)
    if not out:
        raise FileNotFoundError(f"{folder}: no 720p frames")
    return out


def run(
    frames_dir: Path | None = None, repeats: int = 5, gallery_size: int = 50_000
) -> dict[str, Any]:
    """Run every measurement once; return the figures (ms, MB) and which targets are met."""
    import cv2
    import face_recognition

    from edge.face import encode as enc
    from edge.face.matcher import Matcher, limit_blas_threads
    from edge.face.pipeline import FacePipeline, PipelineSettings

    limit_blas_threads()  # as the terminal does
    frames = _frames_720p(frames_dir or DEFAULT_FRAMES)
    rgb0 = cv2.cvtColor(frames[0], cv2.COLOR_BGR2RGB)
    (box,) = enc.detect(rgb0, max_side=640)
    reference = enc.encode(rgb0, box)
    rng = np.random.default_rng(0)
    staff = {f"s{i:02d}": [reference + rng.normal(size=128) * 0.2] for i in range(20)}
    staff["obama"] = [reference]
    matcher = Matcher(staff)

    def naive(frame: Any) -> None:
        """face_recognition's own way: full-frame HOG (upsampled once), encode, match."""
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        locations = face_recognition.face_locations(rgb)
        for encoding in face_recognition.face_encodings(rgb, locations):
            matcher.match(encoding)

    settings = PipelineSettings()

    def pipeline(frame: Any) -> None:
        """The terminal's pipeline on one frame."""
        # a fresh pipeline per frame: every frame pays detection, encoding and match
        decision = FacePipeline(matcher, settings).process(frame, 0.0)
        assert decision.kind in ("challenge", "pending", "punch", "rejected"), decision.kind

    def encode_one() -> None:
        """One encoding alone, face_recognition's call with the face's location given."""
        face_recognition.face_encodings(rgb0, known_face_locations=[box])

    # interleaved, so that all three see the same load on a shared machine
    times: dict[str, list[float]] = {"naive": [], "pipeline": [], "encode": []}
    for _ in range(repeats):
        for frame in frames:
            times["naive"].append(_median_ms(functools.partial(naive, frame), 1))
            times["pipeline"].append(_median_ms(functools.partial(pipeline, frame), 1))
            times["encode"].append(_median_ms(encode_one, 1))
    naive_ms, pipeline_ms, encode_ms = (statistics.median(times[k]) for k in times)

    big = rng.normal(size=(gallery_size, 128)).astype(np.float32) * 0.09
    big_matcher = Matcher({f"p{i:06d}": big[i : i + 1] for i in range(gallery_size)})
    queries = [big[i] + rng.normal(size=128).astype(np.float32) * 0.01 for i in range(20)]
    hits = sum(big_matcher.match(q).staff_id == f"p{i:06d}" for i, q in enumerate(queries))
    match_50k_ms = statistics.median(
        _median_ms(functools.partial(big_matcher.match, q), 3) for q in queries
    )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "frames": len(frames),
        "naive_ms": round(naive_ms, 1),
        "pipeline_ms": round(pipeline_ms, 1),
        "encode_ms": round(encode_ms, 1),
        "match_50k_ms": round(match_50k_ms, 2),
        "match_50k_hits": f"{hits}/{len(queries)}",
        "rss_mb": round(rss_mb, 1),
        "speedup": round(naive_ms / pipeline_ms, 2),
    }
    result["targets_met"] = {
        "pipeline_le_third_naive": pipeline_ms <= naive_ms / 3,
        "pipeline_le_1_5x_encode": pipeline_ms <= 1.5 * encode_ms,
        "match_50k_le_5ms": match_50k_ms <= 5,
        "rss_le_400mb": rss_mb <= 400,
    }
    return result
