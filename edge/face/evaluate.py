"""Thresholds from evidence: genuine / impostor distances over every real face the project has.

`labelled_faces` encodes every face of the face data folder with who it is (gallery folders,
and `PROBE_LABELS` / `FRAME_LABELS` left to right; None is a person who is not enrolled).
`evaluate` then gives:

- the **pair table**: every pair of faces from different photos, genuine (same person) or
  impostor (different people); pairs closer than `DUPLICATE` are the same photo resized or
  re-cut (the frames folder holds one photo at four sizes) and are counted apart, never as
  genuine evidence; false-accept and false-reject rates of one comparison at each threshold;
- **1:N identification** as the terminal does it (nearest template per person, the threshold
  and the second-best margin), leave-one-photo-out: each face against every other photo of the
  gallery people, with all their photos enrolled (multi-template) or only their first (single);
  strangers: each enrolled person in turn taken out of the gallery and shown to it;
- the **k-of-n vote**: the chance that k of n frames accept, from the per-frame rates above,
  assuming frames independent (they are not: a real stranger's frames resemble each other, so
  the vote's false-accept figure is a floor, and the per-frame one is the honest ceiling).

There are five people here: the numbers show whether a threshold taken from the literature
(edge/face/matcher.py) holds on these faces, not a threshold to fit to them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from edge.face.matcher import DEFAULT_MARGIN, DEFAULT_THRESHOLD, Matcher

PROBE_LABELS: dict[str, list[str | None]] = {
    "alex_lacamoire1.jpg": ["alex_lacamoire"],
    "johnsnow_test1.jpg": ["kit_harington"],  # Kit Harington as Jon Snow
    "kit_with_rose.jpg": ["rose_leslie", "kit_harington"],
    "obama1.jpg": ["obama"],
    "obama_and_biden.jpg": ["biden", "obama", None],
}
"""Who each probe photo shows, left to right (None: not enrolled)."""
FRAME_LABELS: dict[str, list[str | None]] = {
    "obama-240p.jpg": ["obama"],
    "obama-480p.jpg": ["obama"],
    "obama-720p.jpg": ["obama"],
    "obama-1080p.jpg": ["obama"],
    "two_people.jpg": ["obama", "biden"],
}
THRESHOLDS = (0.35, 0.40, 0.45, 0.50, 0.55, 0.60)
DUPLICATE = 0.12
"""Pairs closer than this are the same photo (resized or re-cut), not two looks at a person."""


@dataclass(frozen=True, slots=True)
class Face:
    """One face of one photo, who it is, and its encoding."""

    photo: str
    person: str | None
    encoding: npt.NDArray[np.float64]


def labelled_faces(faces_dir: Path, encode: Callable[[Path], Sequence[Any]]) -> list[Face]:
    """Every labelled face of the data folder; `encode(path)` gives faces left to right."""
    out: list[Face] = []
    for folder in sorted(p for p in (faces_dir / "gallery").iterdir() if p.is_dir()):
        for photo in sorted(folder.iterdir()):
            (face,) = encode(photo)
            out.append(Face(f"gallery/{folder.name}/{photo.name}", folder.name, face.encoding))
    for sub, labels in (("probe", PROBE_LABELS), ("frames", FRAME_LABELS)):
        for name, people in labels.items():
            found = encode(faces_dir / sub / name)
            if len(found) != len(people):
                raise ValueError(f"{sub}/{name}: {len(found)} faces, expected {len(people)}")
            out += [
                Face(f"{sub}/{name}", who, f.encoding) for f, who in zip(found, people, strict=True)
            ]
    return out


def _rates(genuine: Sequence[float], impostor: Sequence[float], t: float) -> tuple[float, float]:
    far = sum(d <= t for d in impostor) / len(impostor) if impostor else 0.0
    frr = sum(d > t for d in genuine) / len(genuine) if genuine else 0.0
    return far, frr


def at_least_k_of_n(p: float, k: int, n: int) -> float:
    """P(at least k of n independent frames accept) at a per-frame rate p."""
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def _identify(
    faces: Sequence[Face],
    gallery: Iterable[Face],
    threshold: float,
    margin: float,
) -> dict[str, int]:
    """1:N outcomes of `faces` against a gallery: right, wrong, refused."""
    templates: dict[str, list[npt.NDArray[np.float64]]] = {}
    for g in gallery:
        assert g.person is not None
        templates.setdefault(g.person, []).append(g.encoding)
    matcher = Matcher(templates, threshold=threshold, margin=margin)
    out = {"right": 0, "wrong": 0, "refused": 0}
    for f in faces:
        got = matcher.match(f.encoding).staff_id
        out["refused" if got is None else "right" if got == f.person else "wrong"] += 1
    return out


def evaluate(
    faces: Sequence[Face],
    threshold: float = DEFAULT_THRESHOLD,
    margin: float = DEFAULT_MARGIN,
    vote: tuple[int, int] = (3, 5),
) -> dict[str, Any]:
    """The pair table, the rates at each threshold, 1:N and the k-of-n vote (see module)."""
    genuine: list[tuple[float, str, str]] = []
    impostor: list[tuple[float, str, str]] = []
    duplicates: list[tuple[float, str, str]] = []
    for a, b in itertools.combinations(faces, 2):
        if a.photo == b.photo:
            continue
        d = float(np.linalg.norm(a.encoding - b.encoding))
        row = (round(d, 4), a.photo, b.photo)
        if a.person is not None and a.person == b.person:
            (duplicates if d < DUPLICATE else genuine).append(row)
        else:
            impostor.append(row)
    g = [r[0] for r in genuine]
    i = [r[0] for r in impostor]
    table = [
        {"threshold": t, "far": round(far, 4), "frr": round(frr, 4)}
        for t in sorted({*THRESHOLDS, threshold})
        for far, frr in [_rates(g, i, t)]
    ]
    enrolled = [f for f in faces if f.person is not None]
    people = sorted({f.person for f in enrolled if f.person is not None})
    multi = {"right": 0, "wrong": 0, "refused": 0}
    single = {"right": 0, "wrong": 0, "refused": 0}
    for f in enrolled:
        others = [o for o in enrolled if o.photo != f.photo and _distinct(o, f)]
        for key, value in _identify([f], others, threshold, margin).items():
            multi[key] += value
        firsts = {o.person: o for o in reversed(others)}  # each person's first other photo
        for key, value in _identify([f], firsts.values(), threshold, margin).items():
            single[key] += value
    strangers = {"accepted": 0, "refused": 0}
    for person in people:
        shown = [f for f in faces if f.person in (person, None)]
        rest = [f for f in enrolled if f.person != person]
        outcome = _identify(shown, rest, threshold, margin)
        strangers["accepted"] += outcome["wrong"] + outcome["right"]
        strangers["refused"] += outcome["refused"]
    n_genuine = sum(multi.values())
    p_accept = multi["right"] / n_genuine if n_genuine else 0.0
    n_strangers = sum(strangers.values())
    p_false = strangers["accepted"] / n_strangers if n_strangers else 0.0
    k, n = vote
    return {
        "faces": len(faces),
        "people": len(people),
        "threshold": threshold,
        "margin": margin,
        "pairs": {"genuine": len(g), "impostor": len(i), "same_photo": len(duplicates)},
        "genuine": _summary(g),
        "impostor": _summary(i),
        "closest_impostors": sorted(impostor)[:5],
        "farthest_genuine": sorted(genuine, reverse=True)[:5],
        "rates": table,
        "identify_multi_template": multi,
        "identify_single_template": single,
        "strangers": strangers,
        "vote": {
            "k": k,
            "n": n,
            "frame_accept": round(p_accept, 4),
            "frame_false_accept": round(p_false, 4),
            "vote_accept": round(at_least_k_of_n(p_accept, k, n), 4),
            "vote_false_accept_if_independent": round(at_least_k_of_n(p_false, k, n), 6),
        },
    }


def _distinct(other: Face, face: Face) -> bool:
    """False when `other` is the same photo as `face` resized (never evidence for it)."""
    return float(np.linalg.norm(other.encoding - face.encoding)) >= DUPLICATE


def _summary(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"min": None, "median": None, "max": None}
    v = np.asarray(values)
    return {
        "min": round(float(v.min()), 4),
        "p05": round(float(np.quantile(v, 0.05)), 4),
        "median": round(float(np.median(v)), 4),
        "p95": round(float(np.quantile(v, 0.95)), 4),
        "max": round(float(v.max()), 4),
    }
