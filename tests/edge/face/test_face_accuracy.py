"""Accuracy on the shared real photos: every enrolled person found, the stranger refused."""

from __future__ import annotations

from edge.face.evaluate import PROBE_LABELS, evaluate, labelled_faces
from edge.face.matcher import DEFAULT_MARGIN, DEFAULT_THRESHOLD, Matcher
from tests.conftest import FACES
from tests.edge.face.photos import PROBE, faces_of, gallery_templates

EXPECTED = PROBE_LABELS


def test_every_enrolled_person_found_and_the_stranger_refused() -> None:
    matcher = Matcher(gallery_templates())
    assert (matcher.threshold, matcher.margin) == (DEFAULT_THRESHOLD, DEFAULT_MARGIN)
    tp = fp = fn = tn = 0
    lines = []
    for name, expected in EXPECTED.items():
        faces = faces_of(str(PROBE / name))
        assert len(faces) == len(expected), f"{name}: {len(faces)} faces detected"
        for face, truth in zip(faces, expected, strict=True):
            m = matcher.match(face.encoding)
            lines.append(
                f"{name}: truth={truth} got={m.staff_id} d={m.distance:.3f} "
                f"second={m.second_distance:.3f}"
            )
            if m.staff_id is not None and m.staff_id == truth:
                tp += 1
            elif m.staff_id is not None:
                fp += 1
            elif truth is not None:
                fn += 1
            else:
                tn += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print("\n".join(lines))
    print(
        f"precision={precision:.3f} recall={recall:.3f} tp={tp} fp={fp} fn={fn} "
        f"strangers_refused={tn}"
    )
    assert fp == 0 and fn == 0 and tn == 1
    assert precision == 1.0 and recall == 1.0


def test_each_enrolled_person_is_refused_once_removed_from_the_gallery() -> None:
    # leave-one-out: seven more strangers, each the nearest-looking kind (a real face, enrolled
    # elsewhere in the data set) that the terminal must not accept as somebody else
    templates = gallery_templates()
    trials = refused = 0
    for name, expected in EXPECTED.items():
        for face, truth in zip(faces_of(str(PROBE / name)), expected, strict=True):
            if truth is None:
                continue
            matcher = Matcher({k: v for k, v in templates.items() if k != truth})
            trials += 1
            refused += matcher.match(face.encoding).staff_id is None
    print(f"leave-one-out strangers refused: {refused}/{trials}")
    assert refused == trials == 7


def test_evaluation_of_every_real_face_supports_the_chosen_thresholds() -> None:
    # the thresholds come from the literature (matcher.py); the real faces must agree with them
    r = evaluate(labelled_faces(FACES, lambda p: faces_of(str(p))))
    assert (r["faces"], r["people"]) == (23, 5)
    assert r["pairs"]["genuine"] > 40 and r["pairs"]["impostor"] > 150
    chosen = next(row for row in r["rates"] if row["threshold"] == DEFAULT_THRESHOLD)
    assert chosen["far"] == 0.0 and chosen["frr"] < 0.1
    assert r["impostor"]["min"] > DEFAULT_THRESHOLD + DEFAULT_MARGIN
    # several templates per person find everyone; one template alone misses someone
    assert r["identify_multi_template"] == {"right": 22, "wrong": 0, "refused": 0}
    assert r["identify_single_template"]["wrong"] == 0
    assert r["strangers"]["accepted"] == 0
    assert r["vote"]["vote_false_accept_if_independent"] <= r["vote"]["frame_false_accept"]
