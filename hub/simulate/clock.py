"""Simulated time: a working day compressed `speed` times, shared by devices and hub."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class SimClock:
    """Simulated time = `day_start` + (wall time since `epoch`) x `speed`; `lag_s` trails it.

    `epoch` is a `time.time()` value so processes started apart agree on the clock. The hub
    reads it with `lag_s` (simulated seconds) behind the devices: a message a fraction of a
    real second in flight is then not judged minutes old (the queue refuses stale key presses).
    """

    day_start: datetime
    speed: float
    epoch: float
    lag_s: float = 0.0

    def offset_s(self, at: float | None = None) -> float:
        """Simulated seconds since day_start at wall time `at` (default: now)."""
        return ((time.time() if at is None else at) - self.epoch) * self.speed - self.lag_s

    def now(self) -> datetime:
        """The simulated, timezone-aware time now."""
        return self.day_start + timedelta(seconds=self.offset_s())

    def wall_at(self, offset_s: float) -> float:
        """The wall time (time.time()) at which simulated offset `offset_s` is reached."""
        return self.epoch + (offset_s + self.lag_s) / self.speed

    def trailing(self, lag_s: float) -> SimClock:
        """The same clock, read `lag_s` simulated seconds behind."""
        return SimClock(self.day_start, self.speed, self.epoch, lag_s)
