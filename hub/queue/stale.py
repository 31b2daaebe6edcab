"""Stale key presses: a counter keypad whose "next" reached the hub too late to act on (QUEUE-1:
replaying it would call a citizen nobody serves). Pure: counts each device's stale presses and
says when the hall's alert desk should hear of them, so that a device that keeps sending them
(a wrong clock, a network that holds its messages back) is named once, not once a press.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

ALERT_KIND = "stale_presses"
"""The alert kind of a device whose key presses keep arriving stale (its words:
`alert.stale_presses`; the kind's name `alertkind.stale_presses`)."""
SHOWN_WORDS = "queue.counter.stale_press"
"""The catalogue key of what the counter's display shows for a stale press (rule DEV-4)."""


@dataclass
class StaleWatch:
    """Each device's stale key presses, and when the desk is due to hear of them; every number
    is a setting."""

    alert_after: int = 3
    """This many stale presses of one device ..."""
    within_s: float = 600.0
    """... within this long: the device keeps sending them (a clock or network problem)."""
    quiet_s: float = 60.0
    """The desk is told again (the count moved) at most this often per device."""
    total: Counter[str] = field(default_factory=Counter)
    """Every stale press per device since the hub started (the log and the tests)."""
    _recent: dict[str, deque[datetime]] = field(default_factory=dict)
    _told: dict[str, datetime] = field(default_factory=dict)

    def note(self, device: str, at: datetime) -> int | None:
        """Count one stale press of `device` at `at` (the hub's clock); the number of its stale
        presses in the last `within_s` when the desk is due to hear of them, else None."""
        self.total[device] += 1
        recent = self._recent.setdefault(device, deque())
        recent.append(at)
        while recent and at - recent[0] > timedelta(seconds=self.within_s):
            recent.popleft()
        if len(recent) < self.alert_after:
            return None
        told = self._told.get(device)
        if told is not None and at - told < timedelta(seconds=self.quiet_s):
            return None
        self._told[device] = at
        return len(recent)

    def fresh(self, device: str) -> bool:
        """A press of `device` that came in time: True once after the desk heard of its stale
        ones (its alert can be cleared). A dictionary look-up: the call path stays cheap."""
        if device not in self._told and device not in self._recent:
            return False
        self._recent.pop(device, None)
        return self._told.pop(device, None) is not None
