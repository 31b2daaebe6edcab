"""The device's own health: what is wrong now and why, and when to try again (rule DEV-4).

The runtime keeps one `HealthBoard` per device. Its problems go into every heartbeat (models:
`Heartbeat.faults`), which reaches the hub even when the outbox cannot store a fact: a full
disk or a read-only SD card is on the fleet page within one heartbeat. Pure: no I/O.
"""

from __future__ import annotations

import errno
import threading
from dataclasses import dataclass
from typing import Literal

Severity = Literal["warning", "error", "critical"]
_RANK: dict[str, int] = {"critical": 0, "error": 1, "warning": 2}
_SQLITE_FULL = 13
_SQLITE_READONLY = 8


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the device now: a fault code and the reason in plain words."""

    code: str
    message: str
    severity: Severity = "error"


def storage_problem(exc: BaseException) -> Problem:
    """An outbox write failure as the operator should read it: disk full, read-only, or what."""
    text = str(exc) or type(exc).__name__
    os_errno = getattr(exc, "errno", None)
    sqlite_code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if (
        os_errno in (errno.ENOSPC, errno.EDQUOT)
        or sqlite_code == _SQLITE_FULL
        or _says(text, "disk is full", "no space left")
    ):
        return Problem("outbox_disk_full", f"disk full: {text}", "critical")
    if (
        os_errno == errno.EROFS
        or sqlite_code == _SQLITE_READONLY
        or _says(text, "readonly", "read-only")
    ):
        return Problem("outbox_read_only", f"storage is read-only: {text}", "critical")
    return Problem("outbox_write_failed", f"outbox cannot be written: {text}", "critical")


def _says(text: str, *words: str) -> bool:
    low = text.lower()
    return any(w in low for w in words)


class Backoff:
    """Retry delays that double from `first_s` up to `max_s`; `reset()` after a success."""

    def __init__(self, first_s: float = 1.0, max_s: float = 60.0) -> None:
        if first_s <= 0 or max_s < first_s:
            raise ValueError("back-off needs 0 < first_s <= max_s")
        self.first_s, self.max_s = first_s, max_s
        self.failures = 0
        self.next_at: float | None = None

    def delay(self) -> float:
        """The wait after the failures so far (first_s after the first one)."""
        if self.failures == 0:
            return 0.0
        return float(min(self.max_s, self.first_s * 2 ** min(self.failures - 1, 30)))

    def failed(self, now: float) -> float:
        """Count a failure at `now`; returns when to try again."""
        self.failures += 1
        self.next_at = now + self.delay()
        return self.next_at

    def due(self, now: float) -> bool:
        """True when an attempt may be made now."""
        return self.next_at is None or now >= self.next_at

    def reset(self) -> None:
        """A success: the next failure waits `first_s` again."""
        self.failures = 0
        self.next_at = None


class HealthBoard:
    """The problems a device has now, by code (thread-safe: drivers report from their threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._problems: dict[str, Problem] = {}

    def set(self, problem: Problem) -> bool:
        """Put up (or reword) a problem; True when it is new or changed."""
        with self._lock:
            old = self._problems.get(problem.code)
            self._problems[problem.code] = problem
        return old != problem

    def clear(self, code: str) -> bool:
        """Take a problem down; True when it was up."""
        with self._lock:
            return self._problems.pop(code, None) is not None

    def has(self, code: str) -> bool:
        """Whether this problem is up."""
        with self._lock:
            return code in self._problems

    def problems(self) -> list[Problem]:
        """Every problem, the worst first (critical, error, warning; then by code)."""
        with self._lock:
            found = list(self._problems.values())
        return sorted(found, key=lambda p: (_RANK[p.severity], p.code))

    def status(self, driver_status: str) -> str:
        """The heartbeat's health word: fault when an error or worse is up, else the driver's."""
        if any(p.severity != "warning" for p in self.problems()):
            return "fault"
        return driver_status
