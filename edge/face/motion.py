"""Motion gate: run the expensive face steps only while something in front of the camera moves.

Pure numpy: it takes small grayscale frames (the pipeline downsizes them) and says whether to
look for faces. After motion, the gate stays open for `hold_s` seconds, so a person who stands
still in front of the terminal is still recognised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class MotionSettings:
    """How much change opens the gate, and for how long it stays open."""

    pixel_delta: int = 18
    """A pixel changed when its grey level moved by more than this (0-255)."""
    min_changed: float = 0.004
    """Fraction of changed pixels that counts as motion."""
    hold_s: float = 4.0
    """Keep the gate open this long after the last motion."""


class MotionGate:
    """Frame-difference motion detector with a hold time."""

    def __init__(self, settings: MotionSettings | None = None) -> None:
        self.settings = settings or MotionSettings()
        self._previous: npt.NDArray[np.uint8] | None = None
        self._open_until = float("-inf")
        self.last_score = 0.0

    def changed_fraction(self, gray: npt.NDArray[np.uint8]) -> float:
        """Fraction of pixels that changed since the previous frame (1.0 for the first)."""
        prev, self._previous = self._previous, gray
        if prev is None or prev.shape != gray.shape:
            return 1.0
        delta = np.abs(gray.astype(np.int16) - prev.astype(np.int16))
        return float(np.count_nonzero(delta > self.settings.pixel_delta)) / delta.size

    def update(self, gray: npt.NDArray[np.uint8], t: float) -> bool:
        """Feed one small grayscale frame taken at `t` seconds; True if faces should be sought."""
        self.last_score = self.changed_fraction(gray)
        if self.last_score >= self.settings.min_changed:
            self._open_until = t + self.settings.hold_s
        return t <= self._open_until

    def reset(self) -> None:
        """Forget the previous frame (after a camera reconnect)."""
        self._previous = None
        self._open_until = float("-inf")
