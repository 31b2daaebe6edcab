"""One device's writes to the outbox, kept alive when the outbox cannot be written (rule DEV-4).

A full disk or a read-only SD card makes the outbox refuse writes. The driver's thread must
not die of it, and the facts must not be lost: they wait here in memory, in order, and are
written again with back-off (1 s doubling to a minute). Facts emitted meanwhile go behind
them, so the device's sequence numbers stay in the order things happened. The problem (the
outbox's own error: "disk full", "storage is read-only") is put on the device's health board,
which every heartbeat carries straight to the broker; once the outbox takes the facts again
the problem is taken down. Facts beyond `hold_max` cannot be kept in memory: they are counted
and the count is in the problem's reason, never dropped silently.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence

from edge.health import Backoff, HealthBoard, Problem, storage_problem
from edge.outbox import BuildPayload, Outbox

logger = logging.getLogger(__name__)

STORAGE_CODES = ("outbox_disk_full", "outbox_read_only", "outbox_write_failed")
"""The problem codes of an outbox that cannot be written (edge.health.storage_problem)."""
Report = Callable[[Problem, bool], None]
"""Called (outside the guard's lock) when a storage problem is raised (True) or cleared."""


class OutboxGuard:
    """Stores a device's facts and heartbeats; holds the facts the outbox refuses and retries."""

    def __init__(
        self,
        outbox: Outbox,
        device: str,
        board: HealthBoard,
        report: Report,
        *,
        hold_max: int = 10_000,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.outbox, self.device, self.board = outbox, device, board
        self._report = report
        self.hold_max = hold_max
        self.backoff = backoff or Backoff(1.0, 60.0)
        self._clock = clock
        # re-entrant: the outbox calls its pressure listeners (which emit a fault, and so
        # store again) before append_facts returns
        self._lock = threading.RLock()
        self._held: list[BuildPayload] = []
        self._problem: Problem | None = None
        self.lost = 0
        """Facts that could neither be stored nor held (more than hold_max waiting)."""
        self._last_seq = 0

    @property
    def broken(self) -> bool:
        """The outbox refused the last write and facts wait in memory."""
        return self._problem is not None

    @property
    def held(self) -> int:
        """Facts waiting in memory for the outbox."""
        return len(self._held)

    def next_retry_in(self, now: float) -> float | None:
        """Seconds until the next attempt to write the held facts (None: nothing held)."""
        if self._problem is None or self.backoff.next_at is None:
            return None
        return max(0.0, self.backoff.next_at - now)

    def store(self, builds: Sequence[BuildPayload]) -> bool:
        """Store facts in one transaction; False when they were held (or counted lost)."""
        with self._lock:
            if self._problem is None:
                try:
                    self.outbox.append_facts(self.device, builds)
                    return True
                except (sqlite3.Error, OSError) as exc:
                    raised = self._failed(exc)
            else:
                raised = None
            self._hold(builds)
        if raised is not None:
            self._report(raised, True)
        return False

    def retry(self) -> bool:
        """If due, write the held facts; True when they are stored now (the problem is over)."""
        with self._lock:
            if self._problem is None or not self.backoff.due(self._clock()):
                return False
            try:
                self.outbox.append_facts(self.device, self._held)
            except (sqlite3.Error, OSError) as exc:
                raised = self._failed(exc)
                stored = False
            else:
                logger.warning(
                    "%s: outbox writable again: %d held facts stored", self.device, len(self._held)
                )
                cleared, self._problem = self._problem, None
                self._held.clear()
                self.backoff.reset()
                self.board.clear(cleared.code)
                stored = True
        if stored:
            self._report(cleared, False)
        elif raised is not None:
            self._report(raised, True)
        return stored

    def store_heartbeat(self, build: BuildPayload) -> bool:
        """Queue a heartbeat in the outbox; False when it cannot (send it straight instead)."""
        with self._lock:
            if self._problem is not None:
                return False
            try:
                self.outbox.append(self.device, fact=False, build=build)
                return True
            except (sqlite3.Error, OSError) as exc:
                raised = self._failed(exc)
        if raised is not None:
            self._report(raised, True)
        return False

    def last_seq(self) -> int:
        """The seq of the device's latest stored fact (the last one read, if reading fails)."""
        try:
            self._last_seq = self.outbox.last_seq(self.device)
        except (sqlite3.Error, OSError) as exc:
            logger.warning("%s: outbox unreadable: %s", self.device, exc)
        return self._last_seq

    # ---- under the lock --------------------------------------------------------------------

    def _failed(self, exc: BaseException) -> Problem | None:
        """Note a refused write; the problem when it is new (or its reason changed)."""
        problem = storage_problem(exc)
        if self.lost:
            problem = Problem(
                problem.code, f"{problem.message}; {self.lost} facts lost", problem.severity
            )
        retry_at = self.backoff.failed(self._clock())
        old, self._problem = self._problem, problem
        if old is not None and old.code != problem.code:
            self.board.clear(old.code)
        changed = self.board.set(problem)
        logger.error(
            "%s: outbox write failed (%s); %d facts held, retry in %.1f s",
            self.device,
            problem.message,
            len(self._held),
            retry_at - self._clock(),
        )
        return problem if changed and (old is None or old.code != problem.code) else None

    def _hold(self, builds: Sequence[BuildPayload]) -> None:
        room = max(0, self.hold_max - len(self._held))
        self._held.extend(builds[:room])
        if len(builds) > room:
            self.lost += len(builds) - room
            logger.critical("%s: %d facts lost: outbox unwritable", self.device, self.lost)
            if self._problem is not None:
                p = self._problem
                text = p.message.split("; ")[0]
                self._problem = Problem(p.code, f"{text}; {self.lost} facts lost", p.severity)
                self.board.set(self._problem)
