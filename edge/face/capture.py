"""Frame sources through OpenCV: a camera index, an RTSP/HTTP URL, a video file, a frame folder.

A folder of images (sorted by name) or a video file is the simulated backend: the same frames
every run, each stamped with its time in the clip, so recorded scenes give the same decisions.
Live sources are stamped with the monotonic clock.

A *performer* folder (a `neutral/` folder and one folder per challenge action, as
`hallkeeper face clips` writes them) is a simulated person at the terminal: it shows the neutral
clip, and when the terminal asks a challenge (the `asked` callback: what the person hears) it
plays the asked actions' clips in order, then stands still again; it leaves after `rounds`
challenges (or when its neutral clip has played `patience` times without being asked).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy.typing as npt

logger = logging.getLogger(__name__)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}


class CaptureError(Exception):
    """The source cannot be opened or stopped delivering frames."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One BGR frame and its time in seconds (clip time, or monotonic for live sources)."""

    image: npt.NDArray[Any]
    t: float
    live: bool


def _folder_frames(folder: Path, fps: float, loop: bool) -> Iterator[Frame]:
    files = _frame_files(folder)
    i = 0
    while True:
        for path in files:
            yield Frame(_read(path), i / fps, live=False)
            i += 1
        if not loop:
            return


def _frame_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise CaptureError(f"{folder}: no image frames (.jpg, .png, .bmp)")
    return files


def _read(path: Path) -> npt.NDArray[Any]:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise CaptureError(f"{path}: not a readable image")
    return image


def is_performer(folder: Path) -> bool:
    """True for a performer folder (neutral/ plus one folder per action)."""
    return (folder / "neutral").is_dir()


def _performer_frames(
    folder: Path,
    fps: float,
    asked: Callable[[], tuple[int, tuple[str, ...]]],
    rounds: int = 1,
    patience: int = 4,
) -> Iterator[Frame]:
    # file names only: each frame is decoded when it is shown, as a camera delivers one frame
    # at a time (a performer's clips decoded at once held ~100 MB in the terminal's process)
    neutral = _frame_files(folder / "neutral")
    clips = {
        p.name: _frame_files(p) for p in folder.iterdir() if p.is_dir() and p.name != "neutral"
    }
    i = played = idle = 0
    seen = asked()[0]
    while played < rounds and idle < patience:
        count, actions = asked()
        if count != seen:
            seen = count
            for action in actions:
                for path in clips.get(action, neutral[:1]):
                    yield Frame(_read(path), i / fps, live=False)
                    i += 1
            played += 1
            idle = 0
        for path in neutral:
            yield Frame(_read(path), i / fps, live=False)
            i += 1
            if asked()[0] != seen:
                break
        else:
            idle += 1


def _capture_frames(
    cap: cv2.VideoCapture, name: str, live: bool, fps: float, loop: bool
) -> Iterator[Frame]:
    i = 0
    offset = 0.0
    try:
        while True:
            ok, image = cap.read()
            if not ok:
                if live:
                    raise CaptureError(f"{name}: camera stopped delivering frames")
                if not loop or i == 0:
                    return
                offset = i / fps
                cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                continue
            if live:
                t = time.monotonic()
            else:
                t = offset + (cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0 or i / fps)
            i += 1
            yield Frame(image, t, live=live)
    finally:
        cap.release()


def open_source(
    source: str | int,
    *,
    fps: float = 10.0,
    loop: bool = False,
    width: int | None = None,
    height: int | None = None,
    asked: Callable[[], tuple[int, tuple[str, ...]]] | None = None,
) -> Iterator[Frame]:
    """Frames from a camera index, URL, video file, folder or performer; CaptureError if not."""
    if isinstance(source, str) and source.isdigit():
        source = int(source)
    if isinstance(source, str) and "://" not in source:
        path = Path(source)
        if path.is_dir() and is_performer(path):
            return _performer_frames(path, fps, asked or (lambda: (0, ())), 2 if loop else 1)
        if path.is_dir():
            return _folder_frames(path, fps, loop)
        if not path.exists():
            raise CaptureError(f"{source}: no such video file or frame folder")
    cap = cv2.VideoCapture(source)
    if not cap.isOpened():
        raise CaptureError(f"{source}: OpenCV cannot open this source")
    live = isinstance(source, int) or "://" in str(source)
    if live and width and height:
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
    clip_fps = cap.get(cv2.CAP_PROP_FPS) or fps
    logger.info("face camera %s opened (%s)", source, "live" if live else f"{clip_fps:.1f} fps")
    return _capture_frames(cap, str(source), live, clip_fps if not live else fps, loop)
