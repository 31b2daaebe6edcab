"""Enrollment: quality checks on each photo, encrypted templates, no raw photos kept (PRIV-1).

Every photo must show exactly one face, at least `min_face_px` wide, and sharp enough
(variance of the Laplacian of the face resized to 160x160 at least `min_sharpness`). All photos
are checked before anything is stored; one bad photo refuses the enrollment with a message per
photo, so the operator can retake it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from sqlalchemy.engine import Engine
from sqlmodel import col, delete

from hub.db import session_scope
from hub.staff.crypto import encrypt_bytes
from hub.staff.keystore import KeyStore
from hub.staff.leaving import local_day
from hub.staff.tables import FaceTemplate, Staff
from models.face import DLIB_LOCK, encrypt_template

logger = logging.getLogger(__name__)

Box = tuple[int, int, int, int]
"""A face box as (top, right, bottom, left) in photo pixels (face_recognition's order)."""
Image = npt.NDArray[Any]


@dataclass(frozen=True, slots=True)
class FaceFound:
    """One face in a photo: its box and 128-d encoding."""

    box: Box
    encoding: npt.NDArray[np.float64]


def decode_rgb(data: bytes) -> Image:
    """Decode image bytes (JPEG/PNG) as RGB, or raise ValueError."""
    bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError("not a readable image (JPEG or PNG expected)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def faces_in_photo(rgb: Image, *, max_side: int = 1024) -> list[FaceFound]:
    """Every face of an uploaded photo with its encoding (HOG upsampled once, 5-point chips).

    The same library calls as the terminal's encoder (face_recognition's 5-point alignment and
    ResNet descriptor), so templates from photos and from terminals are comparable. Needs the
    face extra (dlib) on the hub; enrollment at a terminal does not.
    """
    import face_recognition

    h, w = rgb.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    small = rgb
    if scale < 1.0:
        small = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    boxes: list[Box] = []
    with DLIB_LOCK:  # dlib's models are shared by every thread of the process
        found = face_recognition.face_locations(small, 1, model="hog")
    for top, right, bottom, left in found:
        boxes.append(
            (
                max(round(top / scale), 0),
                min(round(right / scale), w - 1),
                min(round(bottom / scale), h - 1),
                max(round(left / scale), 0),
            )
        )
    with DLIB_LOCK:
        encodings = face_recognition.face_encodings(rgb, boxes, num_jitters=1, model="small")
    return [FaceFound(b, np.asarray(e)) for b, e in zip(boxes, encodings, strict=True)]


@dataclass(frozen=True, slots=True)
class QualitySettings:
    """Thresholds of the enrollment photo checks."""

    min_face_px: int = 80
    min_sharpness: float = 40.0


class PhotoRejected(ValueError):
    """A photo that cannot be used, with the reason in words."""

    def __init__(self, photo: str, code: str, message: str) -> None:
        super().__init__(f"{photo}: {message}")
        self.photo, self.code, self.message = photo, code, message


class EnrollmentRefused(ValueError):
    """One or more photos failed their checks; nothing was stored."""

    def __init__(self, problems: Sequence[PhotoRejected]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Enrolled:
    """What an enrollment stored."""

    staff_id: str
    templates: int
    photos_kept: bool


def sharpness(rgb: Image, box: Box) -> float:
    """Variance of the Laplacian of the face, resized to 160x160 grey (higher is sharper)."""
    top, right, bottom, left = box
    grey = cv2.cvtColor(np.ascontiguousarray(rgb[top:bottom, left:right]), cv2.COLOR_RGB2GRAY)
    grey = cv2.resize(grey, (160, 160), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def check_photo(label: str, data: bytes, q: QualitySettings | None = None) -> FaceFound:
    """The one face of a photo, or PhotoRejected saying what is wrong."""
    q = q or QualitySettings()
    try:
        rgb = decode_rgb(data)
    except ValueError as exc:
        raise PhotoRejected(label, "not_an_image", str(exc)) from None
    faces = faces_in_photo(rgb)
    if not faces:
        raise PhotoRejected(
            label,
            "no_face",
            "no face found; use a frontal photo of the staff member's face, evenly lit",
        )
    if len(faces) > 1:
        raise PhotoRejected(
            label,
            "several_faces",
            f"{len(faces)} faces found; the photo must show the staff member alone",
        )
    face = faces[0]
    width = face.box[1] - face.box[3]
    if width < q.min_face_px:
        raise PhotoRejected(
            label,
            "face_too_small",
            f"the face is {width} px wide, at least "
            f"{q.min_face_px} px is needed; move closer or use a larger photo",
        )
    sharp = sharpness(rgb, face.box)
    if sharp < q.min_sharpness:
        raise PhotoRejected(
            label,
            "blurred",
            f"the photo is blurred (sharpness {sharp:.0f}, "
            f"at least {q.min_sharpness:.0f} needed); hold still and refocus",
        )
    return face


def enroll(
    engine: Engine,
    *,
    keys: KeyStore,
    staff_id: str,
    name: str,
    hall: str,
    photos: Sequence[tuple[str, bytes]],
    unit: str = "",
    window: str | None = None,
    keep_photos: bool = False,
    quality: QualitySettings | None = None,
    progress: Callable[[str], None] | None = None,
    now: datetime | None = None,
) -> Enrolled:
    """Check every photo, then store (or replace) the staff member and their templates.

    The person gets a new key (models/face.py): templates of an earlier enrollment, wherever
    copies of them remain, can no longer be read.
    """
    if not photos:
        raise EnrollmentRefused([PhotoRejected("-", "no_photo", "at least one photo is needed")])
    faces: list[tuple[bytes, FaceFound]] = []
    problems: list[PhotoRejected] = []
    for label, data in photos:
        try:
            faces.append((data, check_photo(label, data, quality)))
        except PhotoRejected as exc:
            problems.append(exc)
        if progress is not None:
            progress(label)
    if problems:
        raise EnrollmentRefused(problems)
    enrolled = store_enrollment(
        engine,
        keys=keys,
        staff_id=staff_id,
        name=name,
        hall=hall,
        encodings=[face.encoding for _, face in faces],
        photos=[data for data, _ in faces] if keep_photos else None,
        unit=unit,
        window=window,
        now=now,
    )
    return enrolled


def store_enrollment(
    engine: Engine,
    *,
    keys: KeyStore,
    staff_id: str,
    name: str,
    hall: str,
    encodings: Sequence[Any],
    photos: Sequence[bytes] | None = None,
    unit: str = "",
    window: str | None = None,
    now: datetime | None = None,
    first_day: date | None = None,
) -> Enrolled:
    """Store (or replace) a staff member and their templates under a new person key.

    A member who had left comes back: their first day is `first_day` (default: today in the
    default zone) and their leaving date is cleared, so attendance judges them again.
    """
    at = now or datetime.now(UTC)
    key = keys.rotate(staff_id)
    with session_scope(engine) as s:
        staff = s.get(Staff, staff_id)
        if staff is None:
            staff = Staff(
                staff_id=staff_id, hall=hall, name=name, unit=unit, window=window, created_at=at
            )
        else:
            staff.hall, staff.name, staff.unit, staff.window = hall, name, unit, window
            if not staff.active:  # back after leaving: judged again from today, not before
                staff.start_date, staff.leave_date = first_day or local_day(at), None
            staff.active = True
        s.add(staff)
        s.flush()
        s.exec(delete(FaceTemplate).where(col(FaceTemplate.staff_id) == staff_id))
        for n, encoding in enumerate(encodings):
            photo = photos[n] if photos is not None and n < len(photos) else None
            s.add(
                FaceTemplate(
                    staff_id=staff_id,
                    template=encrypt_template(key, encoding),
                    # rule PRIV-1: a photo only by operator choice, and under the person key
                    photo=None if photo is None else encrypt_bytes(key, photo),
                    created_at=at,
                )
            )
    logger.info(
        "enrolled %s with %d templates (photos kept: %s)", staff_id, len(encodings), bool(photos)
    )
    return Enrolled(staff_id, len(encodings), bool(photos))


def hall_of(engine: Engine, staff_id: str) -> str | None:
    """The hall a staff member is enrolled in now, or None."""
    with session_scope(engine) as s:
        staff = s.get(Staff, staff_id)
        return staff.hall if staff is not None and staff.active else None
