"""The projection thread: every committed batch goes to the projectors, in order, off the writer.

Ingest's writer thread commits and acknowledges a batch, runs the commit hooks, then hands the
batch here and goes on storing. This thread gives each batch to the projectors in the order
they were registered: a durable projector through its Lane (hub.ingest.lane: cursor, catch-up,
retries), any other directly (live only: device health, live pages). Every `tick_s` it also
retries parked facts that are due, catches up lanes the log has moved past (facts another
worker stored, or that no live batch brought) and writes cursors that lag what is applied.
On start, every lane first reads its cursor (a lane seen for the first time starts at the log's
head) and only then may the worker store facts (`wait_lanes`): a fact stored before a new lane
took its starting point would lie behind it and never be applied (issue 14: the first tickets
and away signs of a hub whose projection thread started late were lost). Then every lane
catches up from its cursor: what a crash left unprojected is projected before anything new.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlalchemy.engine import Engine

from hub.ingest.factlog import head
from hub.ingest.hooks import AlertSink, IngestBatch, Projector
from hub.ingest.lane import Lane, RetryPolicy, is_durable, utc_now
from hub.ingest.stats import IngestStats

logger = logging.getLogger(__name__)

QUEUE_BATCHES = 64
"""Committed batches waiting for projection before the writer waits too (back-pressure)."""


@dataclass(frozen=True, slots=True)
class Committed:
    """A committed batch with the fact-log positions of its events and of its transactions."""

    batch: IngestBatch
    positions: Sequence[int] = field(default_factory=tuple)
    spans: Sequence[tuple[int, int]] = field(default_factory=tuple)


class Projection:
    """Feeds projectors from one thread; start() and stop() it (IngestWorker does)."""

    def __init__(
        self,
        engine: Engine,
        projectors: Sequence[Projector],
        *,
        stats: IngestStats | None = None,
        alerts: AlertSink | None = None,
        policy: RetryPolicy | None = None,
        tick_s: float = 1.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.projectors = tuple(projectors)
        self.stats = stats or IngestStats()
        self.tick_s = tick_s
        self.lanes = {
            id(p): Lane(
                p,
                engine,
                policy=policy or RetryPolicy(),
                alerts=alerts,
                stats=self.stats,
                clock=clock,
            )
            for p in self.projectors
            if is_durable(p)
        }
        self._queue: queue.Queue[Committed | None] = queue.Queue(maxsize=QUEUE_BATCHES)
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._stopping = threading.Event()
        self.lanes_ready = threading.Event()
        """Set once every lane holds its cursor: the worker stores nothing before."""
        self.started = threading.Event()

    def lane(self, projector: Projector) -> Lane | None:
        """The lane of a durable projector (None for a live-only one)."""
        return self.lanes.get(id(projector))

    def start(self) -> Projection:
        """Start the thread (it catches every lane up first)."""
        self._thread = threading.Thread(target=self._run, name="ingest-projection", daemon=True)
        self._thread.start()
        return self

    def wait_lanes(self, stop: threading.Event, poll_s: float = 0.5) -> bool:
        """Wait until every lane holds its cursor (the writer's first step); False on `stop`."""
        while not self.lanes_ready.wait(poll_s):
            if stop.is_set() or self._stopping.is_set():
                return False
        return True

    def submit(self, committed: Committed) -> None:
        """Queue a committed batch (waits while QUEUE_BATCHES are already waiting)."""
        self._idle.clear()
        self._queue.put(committed)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every submitted batch has been projected (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.005)
        return False

    def stop(self, timeout: float = 30.0) -> None:
        """Project what is queued, then end the thread."""
        self._stopping.set()
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None

    # -- the thread ----------------------------------------------------------------------

    def _start_lanes(self) -> None:
        """Read (or make) every lane's cursor, trying again each tick while the database is
        away; then the worker may store facts."""
        while not self._stopping.is_set():
            for lane in self.lanes.values():
                self._guard(lane.name, lane.start)
            if all(lane.started for lane in self.lanes.values()):
                self.lanes_ready.set()
                return
            self._stopping.wait(self.tick_s)

    def _run(self) -> None:
        self._start_lanes()
        if self.lanes_ready.is_set():
            for lane in self.lanes.values():
                self._guard(lane.name, lane.catch_up)
        self.started.set()
        next_tick = time.monotonic() + self.tick_s
        while True:
            try:
                item = self._queue.get(timeout=max(0.0, next_tick - time.monotonic()))
            except queue.Empty:
                item = Committed(IngestBatch())  # nothing came: only the tick's work
            else:
                if item is None:
                    for lane in self.lanes.values():
                        self._guard(lane.name, lane.flush)
                    self._queue.task_done()
                    return
                self._project(item)
                self._queue.task_done()
            if time.monotonic() >= next_tick:
                self._tick()
                next_tick = time.monotonic() + self.tick_s

    def _project(self, item: Committed) -> None:
        batch = item.batch
        for projector in self.projectors:
            lane = self.lanes.get(id(projector))
            if lane is not None:
                self._guard(lane.name, partial(lane.live, batch, item.positions, item.spans))
                continue
            if not (batch.events or batch.states or batch.heartbeats):
                continue
            try:
                projector.project(self.engine, batch)
            except Exception:
                self.stats.add(projector_errors=1)
                logger.exception(
                    "projector %s failed on a batch of %d events",
                    getattr(projector, "name", projector),
                    len(batch.events),
                )

    def _tick(self) -> None:
        """Retry what is due; catch up lanes the log has moved past."""
        if not self.lanes:
            return
        try:
            with self.engine.connect() as conn:
                top = head(conn)
        except Exception:
            logger.exception("projection: the fact log cannot be read; trying again later")
            return
        for lane in self.lanes.values():
            self._guard(lane.name, lane.retry_due)
            if top > lane.examined:
                self._guard(lane.name, lane.catch_up)
            self._guard(lane.name, lane.flush)

    def _guard(self, name: str, work: Callable[[], object]) -> None:
        """Run lane work; a failure (the database away) is logged, the cursor stays behind."""
        try:
            work()
        except Exception:
            self.stats.add(projector_errors=1)
            logger.exception("projector lane %s could not run; it catches up later", name)
