"""Counters of an ingest worker, readable from any thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields


@dataclass(slots=True)
class IngestStats:
    """What an ingest worker has done since it started.

    `received` is counted on paho's network thread, everything else on the writer thread;
    each counter has one writer, so reading them from a third thread is safe (a snapshot is
    taken under a lock so its fields belong together).
    """

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    states: int = 0
    batches: int = 0
    batches_here: int = 0
    """Lone small batches a worker with a writer process stored on its own thread."""
    acked: int = 0
    ack_skipped: int = 0
    gaps_opened: int = 0
    gaps_filled: int = 0
    unexpected_seqs: int = 0
    store_retries: int = 0
    projector_errors: int = 0
    hook_errors: int = 0
    isolated: int = 0
    connects: int = 0
    queue_depth: int = 0
    busy_s: float = 0.0
    last_batch_size: int = 0
    last_lag_ms: float = 0.0
    max_lag_ms: float = 0.0
    _lock: threading.Lock | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def snapshot(self) -> dict[str, float]:
        """A consistent copy of the counters (lag: receipt to acknowledgement, milliseconds)."""
        assert self._lock is not None
        with self._lock:
            return {f.name: getattr(self, f.name) for f in fields(self) if f.name[0] != "_"}

    def add(self, **counts: int) -> None:
        """Add to named counters."""
        assert self._lock is not None
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def record_batch(
        self,
        *,
        stored: int,
        duplicates: int,
        dead: int,
        states: int,
        acked: int,
        skipped: int,
        lag_ms: float,
        size: int,
    ) -> None:
        """Count one committed and acknowledged batch."""
        assert self._lock is not None
        with self._lock:
            self.batches += 1
            self.stored += stored
            self.duplicates += duplicates
            self.dead_letters += dead
            self.states += states
            self.acked += acked
            self.ack_skipped += skipped
            self.last_batch_size = size
            self.last_lag_ms = lag_ms
            self.max_lag_ms = max(self.max_lag_ms, lag_ms)
