"""Synthetic camera clips made from one still photo: genuine actions and the attacks on them.

There is no camera here and the project's face data are still photos, so the clips that test
the challenge (edge/face/challenge.py) are made from those photos; every rate measured on them
carries that caveat (docs/face.md). How each clip is made:

- **genuine action** (`perform`): dlib's 68 landmarks of the photo's face drive a
  piecewise-affine warp (Delaunay triangles over the landmarks and a fixed ring around the
  head). Head turns and nods move each landmark as a point at a pseudo-depth (nose tip in
  front, jaw line behind) rotated by up to ~25 degrees; a blink pulls each upper lid onto the
  lower one and paints the eye with the lid's skin; an open mouth lowers the lower lip and jaw
  and paints the gap dark. Every frame also gets a small random head motion, sensor noise and
  JPEG compression, at 10 frames a second.
- **photo attack** (`render_photo_attack`): the still photo as a print (white margin, flat
  contrast) held in front of the camera and moved: translation, in-plane rotation and a
  perspective tilt of the sheet, no change of expression.
- **screen replay** (`as_screen_replay`): a genuine clip shown on a phone screen and filmed:
  gamma, blue cast, lower contrast, moiré from two fine gratings, a black bezel, glare.
  Played with the wrong action it is the replay attack the challenge must refuse; with the
  right action it is the guess that only the passive check can refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from edge.face import encode as enc

ACTIONS = ("blink_twice", "turn_left", "turn_right", "nod", "open_mouth")
"""Every action a challenge may ask (edge/face/challenge.py uses the same names)."""
FPS = 10.0
FRAME_W, FRAME_H = 640, 480
Frame = npt.NDArray[np.uint8]


def _f32(values: Any) -> npt.NDArray[np.float32]:
    return np.asarray(values, dtype=np.float32)


def _i32(values: Any) -> npt.NDArray[np.int32]:
    return np.asarray(values, dtype=np.int32)


# pseudo-depth of each of the 68 landmarks, in face widths (nose tip in front, jaw behind)
_DEPTH = np.zeros(68)
_DEPTH[0:17] = -0.25 + 0.3 * np.cos(np.linspace(-np.pi / 2, np.pi / 2, 17))
_DEPTH[17:27] = 0.12
_DEPTH[27:31] = np.linspace(0.2, 0.45, 4)
_DEPTH[31:36] = 0.3
_DEPTH[36:48] = 0.08
_DEPTH[48:68] = 0.2
_RING = 20


@dataclass(frozen=True)
class Subject:
    """One face photo ready to animate: the frame-sized crop and its 68 landmarks."""

    image: Frame
    landmarks: npt.NDArray[np.float64]
    name: str

    @property
    def face_width(self) -> float:
        """Jaw width in pixels."""
        return float(np.linalg.norm(self.landmarks[16] - self.landmarks[0]))


def subject_from_photo(path: str | Path, face: int = 0, name: str | None = None) -> Subject:
    """Crop the photo around its `face`-th face (left to right) into a 640x480 frame."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"{path}: not a readable image")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    boxes = sorted(enc.detect(rgb, max_side=1024, upsample=1), key=lambda b: b[3])
    if len(boxes) <= face:
        raise ValueError(f"{path}: no face number {face}")
    top, right, bottom, left = boxes[face]
    size = bottom - top
    cx, cy = (left + right) / 2, (top + bottom) / 2
    # the face takes ~30 % of the frame's width, as at a terminal half a metre away
    scale = 0.3 * FRAME_W / size
    m = np.array(
        [[scale, 0, FRAME_W / 2 - scale * cx], [0, scale, FRAME_H * 0.45 - scale * cy]],
        dtype=np.float64,
    )
    frame = cv2.warpAffine(bgr, m, (FRAME_W, FRAME_H), borderMode=cv2.BORDER_REFLECT)
    frame_rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    (box,) = [b for b in enc.detect(frame_rgb, max_side=FRAME_W) if b[3] < FRAME_W / 2 < b[1]][
        :1
    ] or [_moved_box(boxes[face], m)]
    points = enc.landmarks68(frame_rgb, box)
    return Subject(np.asarray(frame, dtype=np.uint8), points, name or Path(path).stem)


def _moved_box(box: enc.Box, m: npt.NDArray[np.float64]) -> enc.Box:
    top, right, bottom, left = box
    (x0, y0), (x1, y1) = (m @ np.array([left, top, 1.0])), (m @ np.array([right, bottom, 1.0]))
    return (round(y0), round(x1), round(y1), round(x0))


def _ring(points: npt.NDArray[np.float64], factor: float) -> npt.NDArray[np.float64]:
    c = points.mean(axis=0)
    r = np.abs(points - c).max(axis=0) * factor
    a = np.linspace(0, 2 * np.pi, _RING, endpoint=False)
    return np.stack([c[0] + r[0] * np.cos(a), c[1] + r[1] * 1.15 * np.sin(a)], axis=1)


def _frame_border() -> npt.NDArray[np.float64]:
    w, h = FRAME_W - 1, FRAME_H - 1
    xs, ys = np.linspace(0, w, 5), np.linspace(0, h, 4)
    pts = [(x, 0) for x in xs] + [(x, h) for x in xs] + [(0, y) for y in ys[1:-1]]
    return np.array(pts + [(w, y) for y in ys[1:-1]], dtype=np.float64)


def _triangles(points: npt.NDArray[np.float64]) -> list[tuple[int, int, int]]:
    subdiv = cv2.Subdiv2D((-1, -1, FRAME_W + 2, FRAME_H + 2))
    index = {}
    for i, (x, y) in enumerate(points):
        p = (float(np.clip(x, 0, FRAME_W - 1)), float(np.clip(y, 0, FRAME_H - 1)))
        index[(round(p[0], 1), round(p[1], 1))] = i
        subdiv.insert(p)
    out = []
    for t in subdiv.getTriangleList():
        key = [(round(float(t[k]), 1), round(float(t[k + 1]), 1)) for k in (0, 2, 4)]
        if all(k in index for k in key):
            out.append((index[key[0]], index[key[1]], index[key[2]]))
    return out


def _warp(image: Frame, src: npt.NDArray[np.float64], dst: npt.NDArray[np.float64]) -> Frame:
    """Piecewise-affine warp moving the `src` control points to `dst`."""
    out = image.copy()
    for a, b, c in _triangles(src):
        s = _f32([src[a], src[b], src[c]])
        d = _f32([dst[a], dst[b], dst[c]])
        x, y, w, h = cv2.boundingRect(d)
        if w <= 0 or h <= 0:
            continue
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, FRAME_W), min(y + h, FRAME_H)
        if x1 <= x0 or y1 <= y0:
            continue
        m = cv2.getAffineTransform(s, d - _f32([x0, y0]))
        patch = cv2.warpAffine(
            image, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
        mask = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
        cv2.fillConvexPoly(mask, _i32(np.round(d - [x0, y0])), 255, cv2.LINE_AA)
        region = out[y0:y1, x0:x1]
        alpha = (mask.astype(np.float32) / 255.0)[..., None]
        region[:] = (patch * alpha + region * (1 - alpha)).astype(np.uint8)
    return out


def _posed(subject: Subject, yaw: float, pitch: float) -> npt.NDArray[np.float64]:
    """Landmarks after turning the head by `yaw` and bowing it by `pitch` (radians)."""
    p = subject.landmarks
    c = p.mean(axis=0)
    z = _DEPTH * subject.face_width
    x = c[0] + (p[:, 0] - c[0]) * np.cos(yaw) + z * np.sin(yaw)
    y = c[1] + (p[:, 1] - c[1]) * np.cos(pitch) + z * np.sin(pitch)
    return np.stack([x, y], axis=1)


def _paint_eyes(image: Frame, pts: npt.NDArray[np.float64], closed: float) -> None:
    """Cover each eye with cheek skin from under it, in proportion to how closed it is."""
    if closed <= 0.2:
        return
    for eye in (slice(36, 42), slice(42, 48)):
        poly = pts[eye]
        x, y, w, h = cv2.boundingRect(_i32(poly))
        pad = max(w // 4, 2)
        x0, x1 = max(x - pad, 0), min(x + w + pad, FRAME_W)
        y0, y1 = max(y - pad, 0), min(y + h + pad, FRAME_H)
        below = image[y1 + h // 2 : min(y1 + h // 2 + (y1 - y0), FRAME_H), x0:x1]
        if below.shape[0] < 2:
            continue
        skin = cv2.resize(below, (x1 - x0, y1 - y0)).astype(np.float32) * 0.9
        mask: Any = np.zeros((y1 - y0, x1 - x0), dtype=np.float32)
        cv2.fillPoly(mask, [_i32(np.round(poly - [x0, y0]))], 1.0)
        mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
        mask = np.clip(cv2.GaussianBlur(mask, (0, 0), max(w / 14, 1.0)) * 1.6, 0, 1)
        mask *= min(1.0, closed)
        region = image[y0:y1, x0:x1].astype(np.float32)
        image[y0:y1, x0:x1] = (skin * mask[..., None] + region * (1 - mask[..., None])).astype(
            np.uint8
        )
        if closed > 0.6:  # the lash line of a closed eye, half-way between the lids
            upper = pts[[eye.start, eye.start + 1, eye.start + 2, eye.start + 3]]
            lower = pts[[eye.start, eye.start + 5, eye.start + 4, eye.start + 3]]
            lash = _i32(np.round((upper + lower) / 2 - [x0, y0])).reshape(-1, 1, 2)
            cv2.polylines(image[y0:y1, x0:x1], [lash], False, (60, 50, 50), 1, cv2.LINE_AA)


def _paint_mouth(image: Frame, pts: npt.NDArray[np.float64], opened: float) -> None:
    if opened <= 0.1:
        return
    inner = _i32(np.round(pts[60:68]))
    mask: Any = np.zeros(image.shape[:2], dtype=np.float32)
    cv2.fillPoly(mask, [inner], 1.0)
    mask = cv2.GaussianBlur(mask, (0, 0), 1.5)[..., None]
    dark = np.array([35, 25, 45], dtype=np.float32)
    image[:] = (dark * mask + image.astype(np.float32) * (1 - mask)).astype(np.uint8)


def _expression(
    subject: Subject, yaw: float, pitch: float, closed: float, opened: float
) -> npt.NDArray[np.float64]:
    pts = _posed(subject, yaw, pitch)
    if closed > 0:
        for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
            mid = (pts[upper] + pts[lower]) / 2
            pts[upper] = pts[upper] + (mid - pts[upper]) * closed * 0.9
            pts[lower] = pts[lower] + (mid - pts[lower]) * closed * 0.9
    if opened > 0:
        drop = opened * 0.28 * float(np.linalg.norm(pts[54] - pts[48]))
        for i in [*range(55, 60), *range(64, 68), 60]:
            if i in (60, 64):
                continue
            pts[i, 1] += drop
        for i, f in zip(range(4, 13), (0.2, 0.5, 0.75, 0.9, 1.0, 0.9, 0.75, 0.5, 0.2), strict=True):
            pts[i, 1] += drop * f
    return pts


def render(subject: Subject, yaw: float, pitch: float, closed: float, opened: float) -> Frame:
    """One frame of the subject in a pose and expression (no camera effects)."""
    src_ctrl = np.concatenate([subject.landmarks, _ring(subject.landmarks, 1.45), _frame_border()])
    pts = _expression(subject, yaw, pitch, closed, opened)
    # the head ring follows the head's rotation a little; the frame border stays
    ring = _ring(subject.landmarks, 1.45)
    ring[:, 0] += np.sin(yaw) * 0.08 * subject.face_width
    ring[:, 1] += np.sin(pitch) * 0.08 * subject.face_width
    dst_ctrl = np.concatenate([pts, ring, _frame_border()])
    out = _warp(subject.image, src_ctrl, dst_ctrl)
    _paint_eyes(out, _posed(subject, yaw, pitch), closed)
    _paint_mouth(out, pts, opened)
    return out


def _envelope(n: int) -> npt.NDArray[np.float64]:
    """0 -> 1 -> 0 over n frames (a smooth action and its return)."""
    return np.sin(np.linspace(0, np.pi, n)) ** 2


def action_track(action: str) -> list[tuple[float, float, float, float]]:
    """(yaw, pitch, closed, opened) per frame of one action at 10 fps."""
    turn, nod = np.radians(28), np.radians(22)
    if action == "blink_twice":
        blink = [0.0, 0.6, 1.0, 0.5, 0.0]
        return [(0, 0, c, 0) for c in [*blink, 0.0, 0.0, *blink]]
    if action in ("turn_left", "turn_right"):
        sign = 1.0 if action == "turn_left" else -1.0
        return [(sign * turn * e, 0, 0, 0) for e in _envelope(12)]
    if action == "nod":
        return [(0, nod * e, 0, 0) for e in _envelope(10)]
    if action == "open_mouth":
        return [(0, 0, 0, e) for e in np.clip(_envelope(10) * 1.4, 0, 1)]
    raise ValueError(f"unknown action {action!r}")


class Camera:
    """Small random head motion, sensor noise and JPEG compression (seeded)."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self._pos = np.zeros(3)

    def shoot(self, frame: Frame, *, jitter: float = 1.0) -> Frame:
        """The frame as the camera delivers it."""
        self._pos = 0.85 * self._pos + self.rng.normal(0, [1.2, 1.2, 0.3]) * jitter
        dx, dy, rot = self._pos
        m = cv2.getRotationMatrix2D((FRAME_W / 2, FRAME_H / 2), rot, 1.0)
        m[:, 2] += np.array([dx, dy])
        moved = cv2.warpAffine(frame, m, (FRAME_W, FRAME_H), borderMode=cv2.BORDER_REFLECT)
        noisy = moved.astype(np.float32) + self.rng.normal(0, 2.0, moved.shape)
        ok, data = cv2.imencode(".jpg", np.clip(noisy, 0, 255).astype(np.uint8), [1, 88])
        assert ok
        return np.asarray(cv2.imdecode(data, cv2.IMREAD_COLOR), dtype=np.uint8)


def _wall(rng: np.random.Generator) -> Frame:
    base = rng.integers(150, 210, 3).astype(np.float32)
    grad = np.linspace(0.85, 1.1, FRAME_H, dtype=np.float32)[:, None, None]
    return np.clip(np.ones((FRAME_H, FRAME_W, 3), np.float32) * base * grad, 0, 255).astype(
        np.uint8
    )


def render_photo_attack(subject: Subject, *, seed: int = 0, frames: int = 40) -> list[Frame]:
    """A print of the photo held up and moved: shifts, rotation and a perspective tilt."""
    rng = np.random.default_rng(seed)
    cam = Camera(seed + 1)
    sheet = cv2.copyMakeBorder(subject.image, 24, 24, 24, 24, cv2.BORDER_CONSTANT, value=(235,) * 3)
    sheet = cv2.convertScaleAbs(sheet, alpha=0.85, beta=20)  # a print's flat contrast
    sh, sw = sheet.shape[:2]
    corners = _f32([[0, 0], [sw, 0], [sw, sh], [0, sh]])
    wall = _wall(rng)
    out = []
    for i in range(frames):
        t = i / max(frames - 1, 1)
        scale = 0.92 + 0.06 * np.sin(2 * np.pi * t)
        tilt_x = 0.18 * np.sin(2 * np.pi * t * 1.5 + rng.uniform(0, 0.3))  # about the vertical
        tilt_y = 0.12 * np.sin(2 * np.pi * t + 1.0)
        angle = np.radians(10 * np.sin(2 * np.pi * t * 0.7))
        c = _f32([FRAME_W / 2 + 40 * np.sin(2 * np.pi * t), FRAME_H / 2 + 20 * np.cos(3 * t)])
        half = _f32([sw, sh]) * scale * FRAME_W / sw / 2
        quad = []
        for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            depth = 1 + tilt_x * sx + tilt_y * sy
            p = _f32([sx * half[0], sy * half[1]]) * depth
            rot = _f32(
                [
                    p[0] * np.cos(angle) - p[1] * np.sin(angle),
                    p[0] * np.sin(angle) + p[1] * np.cos(angle),
                ]
            )
            quad.append(c + rot)
        h = cv2.getPerspectiveTransform(corners, _f32(quad))
        frame = wall.copy()
        warped = cv2.warpPerspective(sheet, h, (FRAME_W, FRAME_H))
        mask = cv2.warpPerspective(np.full((sh, sw), 255, np.uint8), h, (FRAME_W, FRAME_H))
        frame[mask > 0] = warped[mask > 0]
        out.append(cam.shoot(frame, jitter=0.5))
    return out


def as_screen_replay(frames: Sequence[Frame], *, seed: int = 0) -> list[Frame]:
    """The clip shown on a phone screen and filmed: gamma, tint, moiré, bezel and glare."""
    rng = np.random.default_rng(seed)
    cam = Camera(seed + 2)
    wall = _wall(rng)
    sw, sh = int(FRAME_W * 0.72), int(FRAME_H * 0.72)
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    a1, a2 = rng.uniform(0.1, 0.5), rng.uniform(1.0, 1.4)
    moire = 1 + 0.07 * np.sin(2 * np.pi * (xx * np.cos(a1) + yy * np.sin(a1)) / 3.1) * np.sin(
        2 * np.pi * (xx * np.cos(a2) + yy * np.sin(a2)) / 3.4
    )
    glare = 1 + 0.25 * np.exp(
        -(((xx - sw * 0.7) / (sw * 0.3)) ** 2 + ((yy - sh * 0.3) / (sh * 0.4)) ** 2)
    )
    tint = np.array([1.08, 1.0, 0.9], dtype=np.float32)  # BGR: screens are bluish
    x0, y0 = (FRAME_W - sw) // 2, (FRAME_H - sh) // 2
    out = []
    for f in frames:
        screen = cv2.resize(f, (sw, sh), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
        screen = np.power(screen, 1.25) * 0.85 + 0.08
        screen = screen * tint * (moire * glare)[..., None]
        frame = wall.copy()
        cv2.rectangle(frame, (x0 - 18, y0 - 30), (x0 + sw + 18, y0 + sh + 30), (15, 15, 18), -1)
        frame[y0 : y0 + sh, x0 : x0 + sw] = np.clip(screen * 255, 0, 255).astype(np.uint8)
        out.append(cam.shoot(frame, jitter=0.7))
    return out


@dataclass(frozen=True)
class Performance:
    """A person's recorded clips: standing still, and each action (after a short reaction)."""

    neutral: list[Frame]
    actions: dict[str, list[Frame]]


def perform(subject: Subject, *, seed: int = 0, still: int = 12, react: int = 3) -> Performance:
    """Render a subject's neutral clip and one clip per action."""
    cam = Camera(seed)
    neutral_image = render(subject, 0, 0, 0, 0)
    neutral = [cam.shoot(neutral_image) for _ in range(still)]
    actions = {}
    for action in ACTIONS:
        frames = [cam.shoot(neutral_image) for _ in range(react)]
        frames += [cam.shoot(render(subject, *pose)) for pose in action_track(action)]
        frames += [cam.shoot(neutral_image) for _ in range(3)]
        actions[action] = frames
    return Performance(neutral, actions)


def write_performer(folder: Path, performance: Performance) -> Path:
    """Write a performer folder: neutral/ and one folder per action (capture.py plays it)."""
    write_frames(folder / "neutral", performance.neutral)
    for action, frames in performance.actions.items():
        write_frames(folder / action, frames)
    return folder


def write_frames(folder: Path, frames: Sequence[Frame]) -> Path:
    """Write a clip as a numbered JPEG folder (the terminal's simulated camera)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        if not cv2.imwrite(str(folder / f"{i:04d}.jpg"), frame):
            raise OSError(f"cannot write {folder / f'{i:04d}.jpg'}")
    return folder


def describe(frames: Sequence[Any]) -> str:
    """A short description for logs."""
    return f"{len(frames)} frames at {FPS:g} fps"
