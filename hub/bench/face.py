"""Face benchmark: naive, HOG and YuNet+liveness pipelines on the same 720p frames, in one run.

Per frame, interleaved so all see the same load on a shared machine: the naive pipeline
(face_recognition's full-frame HOG upsampled once, encoding, match), the HOG pipeline (motion
gate, HOG on the frame shrunk to 640 px, crop encoding, match, vote; no liveness), and the
YuNet pipeline with liveness on (YuNet, crop encoding, match, vote, 68 landmarks and the
challenge's cues, both MiniFASNet models); each pipeline is fresh per frame, so every frame pays
detection, encoding and match. One encoding alone is the yardstick: target YuNet pipeline
<= 1.2 x one encoding, judged on two statistics that must both pass: the ratio of the medians,
and the median of per-pair ratios (each YuNet frame timed right beside one encoding, `pairs` per
frame and repeat, in alternating order). Then the time to a decision for a person who performs
the asked actions (synthetic performer clips, edge/face/clips.py), against the same clips with
liveness off (the added time per punch); a 1:N match over 50,000 templates; and peak RSS
(VmHWM) of two fresh processes: the whole face agent (`edge.agent.Agent` with one face terminal
at its default settings, MQTT session to a private broker, outbox, a performer answering the
challenge: the target, <= 250 MB) and the recognition pipeline alone on the 720p frames (what
the models and frames take, for comparison).
"""

from __future__ import annotations

import functools
import json
import logging
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

FACES = Path(__file__).resolve().parents[3] / "shared" / "data" / "faces"
DEFAULT_FRAMES = FACES / "frames"


def _ms(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def _p90(values: list[float]) -> float:
    """The 90th percentile (the largest value when there are fewer than two)."""
    return statistics.quantiles(values, n=10)[8] if len(values) > 1 else max(values)


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


RSS_PROBE = """
import json, sys
from pathlib import Path
import cv2
import numpy as np
from edge.face.matcher import Matcher, limit_blas_threads
from edge.face.pipeline import FacePipeline
limit_blas_threads()
rng = np.random.default_rng(0)
matcher = Matcher({f"s{i:03d}": rng.normal(size=(3, 128)) * 0.1 for i in range(200)})
pipeline = FacePipeline(matcher)
files = sorted(Path(sys.argv[1]).glob("*.jpg"))
for i, path in enumerate(files * 3):  # frames arrive one by one, as from a camera
    pipeline.process(cv2.imread(str(path)), i / 10)
# VmHWM: this process's own peak (ru_maxrss would carry the parent's peak across exec)
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps({k: int(status[k].split()[0]) / 1024 for k in ("VmHWM", "VmRSS")}))
"""


AGENT_PROBE = """
import json, sys
from pathlib import Path
from edge.agent import Agent
from edge.settings import AgentSettings
from models.layout import load_hall
hall, broker, data, device = sys.argv[1:5]
settings = AgentSettings(broker_url=broker, data_dir=Path(data))
agent = Agent(load_hall(Path(hall)), "pi-entrance", settings, devices=[device]).start()
driver = agent.runtime(device).driver
finished = driver.join(timeout=900)
said, frames = list(driver.feedback.shown), driver.frames
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
agent.stop()
mem = {k: int(status[k].split()[0]) / 1024 for k in ("VmHWM", "VmRSS")}
print(json.dumps({"finished": finished, "said": said, "frames": frames, **mem}))
"""


def _terminal_rss_mb(
    performance: Any, templates: dict[str, list[Any]], workdir: Path
) -> dict[str, Any]:
    """Peak RSS of the whole face-terminal process: a fresh `edge.agent.Agent` (runtime, MQTT
    session to a private broker, outbox) running one face terminal with its default settings
    (YuNet, challenge + MiniFASNet) while a performer answers its challenge (frames from disk)."""
    import os

    from cryptography.fernet import Fernet

    from edge.face.clips import write_performer
    from edge.face.gallery import LocalGallery
    from hub.bench import private_mosquitto
    from models.face import GalleryPerson, build_gallery, new_key, seal_keys, seal_people

    device = "ent-face1"
    key = Fernet.generate_key()
    people = [
        GalleryPerson(s, s, tuple(tuple(map(float, t)) for t in v)) for s, v in templates.items()
    ]
    keys = {p.staff_id: new_key() for p in people}
    blob, checksum = build_gallery(1, seal_people(people, keys), key)
    gallery = LocalGallery(workdir / f"{device}.gallery", key)
    gallery.replace(1, checksum, blob, seal_keys(keys, key))
    gallery.close()
    performer = write_performer(workdir / "performer", performance)
    hall = workdir / "hall"
    (hall / "devices").mkdir(parents=True, exist_ok=True)
    demo = Path(__file__).resolve().parents[2] / "firmware_cfg" / "halls" / "demo"
    (hall / "hall.toml").write_text((demo / "hall.toml").read_text(encoding="utf-8"))
    (hall / "devices" / f"{device}.toml").write_text(
        f'id = "{device}"\nkind = "face_terminal"\nnode = "pi-entrance"\n\n[settings]\n'
        f'backend = "simulated"\nsource = "{performer}"\nrealtime = false\n'
        f'key_env = "HK_BENCH_FACE_HALL_KEY"\ngallery_path = "{workdir}/{{device}}.gallery"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "HK_BENCH_FACE_HALL_KEY": key.decode()}
    with private_mosquitto(workdir / "broker") as url:
        out = subprocess.run(
            [sys.executable, "-c", AGENT_PROBE, str(hall), url, str(workdir / "edge"), device],
            capture_output=True,
            text=True,
            timeout=1200,
            check=True,
            env=env,
        )
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "peak": float(r["VmHWM"]),
        "end": float(r["VmRSS"]),
        "punched": any(text.endswith("打卡成功") for text in r["said"]),
        "frames": r["frames"],
    }


def _agent_rss_mb(frames: list[Any], workdir: Path) -> dict[str, float]:
    """Peak and final RSS of a fresh process running the terminal's recognition stack."""
    from edge.face.clips import write_frames

    folder = write_frames(workdir / "rss-frames", frames)
    out = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    mem = json.loads(out.stdout.strip().splitlines()[-1])
    return {"peak": float(mem["VmHWM"]), "end": float(mem["VmRSS"])}


def run(
    frames_dir: Path | None = None,
    repeats: int = 5,
    pairs: int = 4,
    gallery_size: int = 50_000,
    decisions: int = 6,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Run every measurement once; return the figures (ms, s, MB) and which targets are met."""
    import tempfile

    import cv2
    import face_recognition

    from edge.face import encode as enc
    from edge.face.clips import perform, subject_from_photo
    from edge.face.liveness import LivenessSettings
    from edge.face.matcher import Matcher, limit_blas_threads
    from edge.face.pipeline import FacePipeline, PipelineSettings
    from edge.face.trials import SUBJECTS, _genuine, run_clip

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

    hog = PipelineSettings(detector="hog", liveness=LivenessSettings(mode="off"))
    yunet = PipelineSettings()  # YuNet, challenge and MiniFASNet: the terminal's default
    # models loaded once, as on a terminal; each frame starts a fresh track
    pipelines = {"hog": FacePipeline(matcher, hog), "yunet": FacePipeline(matcher, yunet)}

    def pipeline(name: str, frame: Any) -> None:
        """One frame through a fresh track: detection, encoding, match (+ liveness)."""
        p = pipelines[name]
        p.reset()
        decision = p.process(frame, 0.0)
        assert decision.kind in ("challenge", "pending", "punch", "rejected"), decision.kind

    def encode_one() -> None:
        """One encoding alone, face_recognition's call with the face's location given."""
        face_recognition.face_encodings(rgb0, known_face_locations=[box])

    times: dict[str, list[float]] = {"naive": [], "hog": [], "yunet": [], "encode": []}
    pair_ratios: list[float] = []
    for _ in range(repeats):
        for frame in frames:
            times["naive"].append(_ms(functools.partial(naive, frame)))
            times["hog"].append(_ms(functools.partial(pipeline, "hog", frame)))
            for k in range(pairs):
                # a YuNet frame and an encoding side by side, in alternating order: the ratio of
                # each pair sees the same load, so their median is steadier than the ratio of
                # two medians taken over minutes of a shared machine's changing load
                yunet_frame = functools.partial(pipeline, "yunet", frame)
                if k % 2 == 0:
                    y, e = _ms(yunet_frame), _ms(encode_one)
                else:
                    e, y = _ms(encode_one), _ms(yunet_frame)
                times["yunet"].append(y)
                times["encode"].append(e)
                pair_ratios.append(y / e)
    med = {k: statistics.median(v) for k, v in times.items()}
    paired = statistics.median(pair_ratios)

    # time to a decision: a person who does what the terminal asks (synthetic clips)
    templates = {"obama": [reference]}
    sid, photo, face = SUBJECTS[0]
    performance = perform(subject_from_photo(FACES / photo, face, sid), seed=0)
    act = _genuine(performance)
    live_s: list[float] = []
    off_s: list[float] = []
    live_cpu: list[float] = []
    off_cpu: list[float] = []
    punches = 0
    off = PipelineSettings(liveness=LivenessSettings(mode="off"))
    for n in range(decisions):
        for settings, clip_s, cpu in ((yunet, live_s, live_cpu), (off, off_s, off_cpu)):
            p = FacePipeline(Matcher(templates), settings, rng=random.Random(n))
            started = time.process_time()
            d, _, _, at = run_clip(p, performance.neutral, act)
            cpu.append(time.process_time() - started)
            if d is not None and d.kind == "punch" and at is not None:
                clip_s.append(at)
                punches += settings is yunet

    big = rng.normal(size=(gallery_size, 128)).astype(np.float32) * 0.09
    big_matcher = Matcher({f"p{i:06d}": big[i : i + 1] for i in range(gallery_size)})
    queries = [big[i] + rng.normal(size=128).astype(np.float32) * 0.01 for i in range(20)]
    hits = sum(big_matcher.match(q).staff_id == f"p{i:06d}" for i, q in enumerate(queries))
    match_50k_ms = statistics.median(
        _ms(functools.partial(big_matcher.match, q)) for q in queries for _ in range(3)
    )
    with tempfile.TemporaryDirectory() as tmp:
        recognition_rss = _agent_rss_mb(
            performance.neutral + performance.actions["turn_left"], Path(workdir or tmp)
        )
        terminal = _terminal_rss_mb(performance, templates, Path(workdir or tmp) / "terminal")
    result: dict[str, Any] = {
        "frames": len(frames),
        "naive_ms": round(med["naive"], 1),
        "hog_pipeline_ms": round(med["hog"], 1),
        "yunet_liveness_pipeline_ms": round(med["yunet"], 1),
        "encode_ms": round(med["encode"], 1),
        "yunet_per_encode": round(med["yunet"] / med["encode"], 2),
        "yunet_per_encode_paired": round(paired, 3),
        "yunet_per_encode_paired_p90": round(_p90(pair_ratios), 3),
        "pairs": len(pair_ratios),
        "speedup_vs_naive": round(med["naive"] / med["yunet"], 2),
        "decision_s_liveness": round(statistics.median(live_s), 2) if live_s else None,
        "decision_s_no_liveness": round(statistics.median(off_s), 2) if off_s else None,
        "decision_cpu_s_liveness": round(statistics.median(live_cpu), 2),
        "decision_cpu_s_no_liveness": round(statistics.median(off_cpu), 2),
        "punches": f"{punches}/{decisions}",
        "match_50k_ms": round(match_50k_ms, 2),
        "match_50k_hits": f"{hits}/{len(queries)}",
        "agent_rss_peak_mb": round(terminal["peak"], 1),
        "agent_rss_end_mb": round(terminal["end"], 1),
        "agent_punched": terminal["punched"],
        "agent_frames": terminal["frames"],
        "recognition_rss_peak_mb": round(recognition_rss["peak"], 1),
        "recognition_rss_end_mb": round(recognition_rss["end"], 1),
        "bench_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    result["targets_met"] = {
        # both statistics must be within the target: the ratio of the medians and the median
        # of the per-pair ratios
        "yunet_pipeline_le_1_2x_encode": med["yunet"] <= 1.2 * med["encode"] and paired <= 1.2,
        "match_50k_le_5ms": match_50k_ms <= 5,
        "agent_rss_le_250mb": terminal["peak"] <= 250,
    }
    return result
