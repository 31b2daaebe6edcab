"""Repeated faults of one code become one fact with a count (rule DEV-4). Pure: no I/O.

A garbled serial line used to send one device_fault per bad frame (9 to 17 a second on
noise), a pulled adapter one a second for ever. Now, per fault code:

- the first raise goes out at once (count 1) and opens a window of `window_s`;
- raises within the window are counted, not sent; when the window ends with some counted,
  one fact says how many, the first and last time and the latest reason, and a new window
  opens; a window that ends with nothing counted closes;
- a clear goes out at once when nothing is counted; with raises counted, the window's one
  fact carries the clear (active False, with the count), so a fault that flaps with every
  good frame costs at most three facts a window: the raise, a clear, the summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Severity = Literal["warning", "error", "critical"]


@dataclass(frozen=True, slots=True)
class FaultReport:
    """One device_fault fact to send: `count` raises from `first_at` to `last_at`."""

    code: str
    message: str
    severity: Severity
    active: bool
    count: int
    first_at: datetime | None
    last_at: datetime | None


@dataclass(slots=True)
class _Window:
    ends: float
    active: bool  # the state last sent, or to be sent with the summary
    message: str
    severity: Severity
    count: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    sent_active: bool = True


class FaultCoalescer:
    """Turns a device's fault raises and clears into as few facts as say the same."""

    def __init__(self, window_s: float = 60.0) -> None:
        if window_s < 0:
            raise ValueError("the fault window must not be negative")
        self.window_s = window_s
        self._windows: dict[str, _Window] = {}

    def report(
        self,
        code: str,
        message: str,
        severity: Severity,
        active: bool,
        at: datetime,
        now: float,
    ) -> list[FaultReport]:
        """A fault raised (active) or cleared at device time `at`, monotonic `now`."""
        out = self.due(now)
        win = self._windows.get(code)
        if win is None:
            if active:
                self._windows[code] = _Window(now + self.window_s, True, message, severity)
                out.append(FaultReport(code, message, severity, True, 1, at, at))
            else:
                out.append(FaultReport(code, message, severity, False, 0, None, None))
            return out
        win.message, win.severity, win.active = message, severity, active
        if active:
            win.count += 1
            win.first_at = win.first_at or at
            win.last_at = at
        elif win.count == 0 and win.sent_active:  # nothing counted: the clear goes now
            win.sent_active = False
            out.append(FaultReport(code, message, severity, False, 0, None, None))
        return out

    def due(self, now: float) -> list[FaultReport]:
        """The summaries of windows ended by `now` (each with its raises counted)."""
        out = []
        for code, win in list(self._windows.items()):
            if now < win.ends:
                continue
            if win.count == 0:
                del self._windows[code]
                continue
            out.append(
                FaultReport(
                    code,
                    win.message,
                    win.severity,
                    win.active,
                    win.count,
                    win.first_at,
                    win.last_at,
                )
            )
            self._windows[code] = _Window(
                now + self.window_s, win.active, win.message, win.severity, sent_active=win.active
            )
        return out

    def next_due(self) -> float | None:
        """The monotonic time of the next window end with raises counted (None: none)."""
        ends = [w.ends for w in self._windows.values() if w.count]
        return min(ends) if ends else None
