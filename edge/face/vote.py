"""k-of-n frame vote, one punch per person per dedup window, and a rate limiter (pure)."""

from __future__ import annotations

from collections import Counter, deque


class FrameVote:
    """Decide a person once `k` of the last `n` frames named them."""

    def __init__(self, k: int = 3, n: int = 5) -> None:
        if not 1 <= k <= n:
            raise ValueError("need 1 <= k <= n")
        self.k, self.n = k, n
        self._window: deque[str | None] = deque(maxlen=n)

    def push(self, staff_id: str | None) -> str | None:
        """Add one frame's result (None: not recognised); the winner, or None for no decision."""
        self._window.append(staff_id)
        counts = Counter(s for s in self._window if s is not None)
        if not counts:
            return None
        winner, votes = counts.most_common(1)[0]
        return winner if votes >= self.k else None

    def misses(self) -> int:
        """Frames in the window that named nobody."""
        return sum(1 for s in self._window if s is None)

    def __len__(self) -> int:
        """Frames in the window."""
        return len(self._window)

    def reset(self) -> None:
        """Forget the window (a new face track)."""
        self._window.clear()


class DedupWindow:
    """Repeated recognitions of one person within `window_s` seconds are one punch."""

    def __init__(self, window_s: float = 60.0) -> None:
        self.window_s = window_s
        self._last: dict[str, float] = {}

    def is_duplicate(self, staff_id: str, t: float) -> bool:
        """True if `staff_id` punched less than `window_s` before `t`."""
        last = self._last.get(staff_id)
        return last is not None and t - last < self.window_s

    def record(self, staff_id: str, t: float) -> None:
        """Note a punch at `t`; drops entries older than the window."""
        self._last = {s: v for s, v in self._last.items() if t - v < self.window_s}
        self._last[staff_id] = t


class RateLimiter:
    """At most one event per `interval_s` seconds."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._last: float | None = None

    def allow(self, t: float) -> bool:
        """True (and counts) if an event may go out at `t`."""
        if self._last is not None and t - self._last < self.interval_s:
            return False
        self._last = t
        return True
