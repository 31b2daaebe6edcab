"""The shared face photos, encoded once per test process (encodings take ~0.1-1 s each)."""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from edge.face.clips import Performance, Subject, perform, subject_from_photo
from edge.face.encode import FaceFound, faces_in_image, load_rgb
from edge.face.trials import SUBJECTS
from models.commands import SyncGallery
from models.face import GalleryPerson, build_gallery, new_key, seal_keys, seal_people
from tests.conftest import FACES

GALLERY = FACES / "gallery"
PROBE = FACES / "probe"
FRAMES = FACES / "frames"


@functools.cache
def faces_of(path: str) -> tuple[FaceFound, ...]:
    """Every face in one shared photo, sorted left to right (cached for the session)."""
    return tuple(sorted(faces_in_image(load_rgb(path)), key=lambda f: f.box[3]))


@functools.cache
def gallery_templates() -> dict[str, list[list[float]]]:
    """Staff id -> templates from the shared gallery folders."""
    out: dict[str, list[list[float]]] = {}
    for folder in sorted(p for p in GALLERY.iterdir() if p.is_dir()):
        for photo in sorted(folder.iterdir()):
            (face,) = faces_of(str(photo))
            out.setdefault(folder.name, []).append([float(x) for x in face.encoding])
    return out


def letterbox(path: Path, width: int = 1280, height: int = 720) -> npt.NDArray[np.uint8]:
    """A photo fitted into a black 720p frame, as a terminal camera would deliver it (BGR)."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, path
    h, w = image.shape[:2]
    s = min(width / w, height / h)
    resized = cv2.resize(image, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    frame = np.zeros((height, width, 3), dtype=np.uint8)
    y, x = (height - resized.shape[0]) // 2, (width - resized.shape[1]) // 2
    frame[y : y + resized.shape[0], x : x + resized.shape[1]] = resized
    return frame


def crop_frame(
    path: Path, box: tuple[int, int, int, int], width: int = 1280, height: int = 720
) -> npt.NDArray[np.uint8]:
    """A 720p frame of the region around one face box (top, right, bottom, left) of a photo."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, path
    top, right, bottom, left = box
    size = bottom - top
    cy, cx = (top + bottom) // 2, (left + right) // 2
    half_h, half_w = size * 3 // 2, size * 8 // 3
    y0, y1 = max(cy - half_h, 0), min(cy + half_h, image.shape[0])
    x0, x1 = max(cx - half_w, 0), min(cx + half_w, image.shape[1])
    region = np.ascontiguousarray(image[y0:y1, x0:x1])
    frame = np.zeros((height, width, 3), dtype=np.uint8)
    s = min(width / region.shape[1], height / region.shape[0])
    resized = cv2.resize(region, (round(region.shape[1] * s), round(region.shape[0] * s)))
    frame[: resized.shape[0], : resized.shape[1]] = resized
    return frame


def write_clip(folder: Path, frames: list[npt.NDArray[np.uint8]]) -> Path:
    """Write frames as a numbered JPEG folder (the simulated camera backend)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        assert cv2.imwrite(str(folder / f"{i:04d}.jpg"), frame)
    return folder


@functools.cache
def subject(staff_id: str = "obama") -> Subject:
    """A probe photo of an enrolled person, ready to animate (cached for the session)."""
    (_, photo, face) = next(s for s in SUBJECTS if s[0] == staff_id)
    return subject_from_photo(FACES / photo, face, staff_id)


@functools.cache
def performance(staff_id: str = "obama") -> Performance:
    """That person's neutral and action clips (synthetic, edge/face/clips.py; cached)."""
    return perform(subject(staff_id), seed=0)


def sync_body(version: int, people: list[GalleryPerson], hall_key: bytes) -> SyncGallery:
    """A SyncGallery as the hub sends it: each person under a key of their own (PRIV-1)."""
    keys = {p.staff_id: new_key() for p in people}
    blob, checksum = build_gallery(version, seal_people(people, keys), hall_key)
    return SyncGallery(
        version=version, checksum=checksum, blob=blob, keys=seal_keys(keys, hall_key)
    )
