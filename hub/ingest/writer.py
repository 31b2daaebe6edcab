"""Where a batch is validated and stored: inline on the worker's writer thread, or in a process.

`InlineWriter` runs `handle_batch` on the calling thread. `ProcessWriter` runs it in a child
process (spawned, own database engine), so validation and SQL do not share the GIL with
paho's network thread: the MQTT process keeps a core for receiving and acknowledging. The
default ("auto") is the process wherever a second CPU can run it: on the 2-core benchmark
host it stores about 20% more messages a second than the thread, at no more CPU in all.
Submissions are answered in order; if the child dies, a new one is started and every
unanswered batch is sent again (nothing was acknowledged for them, and a batch that was
committed before the child died is dropped as duplicates the second time).

The child is started with the `spawn` method, so the program's main module must be safe to
import (its work under `if __name__ == "__main__":`), as for any multiprocessing program;
`hallkeeper` and `python -m hub.ingest.run` are. With projectors registered, the parent
parses the new envelopes of each batch again (by index) to hand them over; an ingest-only
worker (no projectors) keeps its MQTT process down to receiving and acknowledging.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing as mp
import os
import signal
import time
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any, Literal, Protocol

from sqlalchemy.engine import URL, Engine

from hub.ingest.pipeline import BatchOutcome, IngestPolicy, handle_batch

logger = logging.getLogger(__name__)

Messages = Sequence[tuple[str, bytes]]
WriterMode = Literal["auto", "thread", "process"]
"""Where batches are stored; "auto" picks a process when a second CPU is there to run it."""


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity, which containers and taskset narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def resolve_writer(mode: str, url: URL) -> Literal["thread", "process"]:
    """The writer to use: "auto" is a process given 2+ CPUs and a database a child can open."""
    if mode not in ("auto", "thread", "process"):
        raise ValueError(f"writer must be 'auto', 'thread' or 'process', not {mode!r}")
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    if mode == "process" and in_memory:
        raise ValueError("an in-memory SQLite database cannot be shared with a writer process")
    if mode == "auto":
        return "process" if usable_cpus() >= 2 and not in_memory else "thread"
    return "process" if mode == "process" else "thread"


class Writer(Protocol):
    """Takes batches of (topic, payload) and answers each with a BatchOutcome, in order."""

    def submit(self, messages: Messages, received_at: datetime) -> None:
        """Hand over one batch."""

    def ready(self, timeout: float) -> bool:
        """True when the oldest unanswered batch's outcome is there (waits up to `timeout`)."""

    def result(self) -> BatchOutcome:
        """The outcome of the oldest unanswered batch (blocks until it is done)."""

    def close(self) -> None:
        """Release the writer."""


class InlineWriter:
    """Validates and stores on the calling thread (the default; simplest, one process)."""

    def __init__(self, engine: Engine, give_up: Any, policy: IngestPolicy | None = None) -> None:
        self.engine = engine
        self.give_up = give_up
        self.policy = policy
        self._done: deque[BatchOutcome] = deque()

    def submit(self, messages: Messages, received_at: datetime) -> None:
        """Validate and store now."""
        outcome = handle_batch(
            self.engine, messages, received_at, give_up=self.give_up, policy=self.policy
        )
        self._done.append(outcome)

    def ready(self, timeout: float) -> bool:
        """Stored on submit: always ready."""
        return bool(self._done)

    def result(self) -> BatchOutcome:
        """The outcome of the oldest batch."""
        return self._done.popleft()

    def close(self) -> None:
        """Nothing to release."""


def _child_main(db_url: str, conn: Connection, parent: int, policy: IngestPolicy | None) -> None:
    """The writer process: receive batches until the pipe closes; answer each in order."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s[writer]: %(message)s"
    )
    from hub.db import make_engine

    engine = make_engine(db_url)
    # Everything alive now (imported code, the engine) lives as long as the process: keep the
    # collector from scanning it again and again while batches churn (about 3 us a message).
    gc.freeze()

    def give_up(delay: float) -> bool:
        """Wait between retries; give up when the parent is gone."""
        time.sleep(delay)
        return os.getppid() != parent

    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            break
        if request is None:
            break
        messages, received_at = request
        try:
            outcome = handle_batch(engine, messages, received_at, give_up=give_up, policy=policy)
            outcome.new = []  # the parent re-reads new envelopes by index, cheaper than pickle
            outcome.heartbeats = []
        except Exception:
            logger.exception("writer process: batch of %d failed", len(messages))
            outcome = BatchOutcome(committed=False)
        try:
            conn.send(outcome)
        except (BrokenPipeError, OSError):
            break
    engine.dispose()


class ProcessWriter:
    """Validates and stores in a child process; up to a few batches in flight."""

    def __init__(self, db_url: str, policy: IngestPolicy | None = None) -> None:
        self.db_url = db_url
        self.policy = policy
        self._ctx = mp.get_context("spawn")
        self._unanswered: deque[tuple[Messages, datetime]] = deque()
        self._conn: Connection | None = None
        self._proc: Any = None
        self.restarts = 0
        self._spawn()

    def _spawn(self) -> None:
        parent_conn, child_conn = self._ctx.Pipe()
        self._proc = self._ctx.Process(
            target=_child_main,
            name="hallkeeper-ingest-writer",
            args=(self.db_url, child_conn, os.getpid(), self.policy),
            daemon=True,
        )
        self._proc.start()
        child_conn.close()
        self._conn = parent_conn

    def _respawn(self) -> None:
        logger.error(
            "ingest writer process died (exit %s); starting a new one",
            self._proc.exitcode if self._proc else None,
        )
        self.restarts += 1
        self._proc.join(5)
        self._spawn()
        assert self._conn is not None
        for request in self._unanswered:
            self._conn.send(request)

    def submit(self, messages: Messages, received_at: datetime) -> None:
        """Send one batch to the child."""
        request = (list(messages), received_at)
        self._unanswered.append(request)
        try:
            assert self._conn is not None
            self._conn.send(request)
        except (BrokenPipeError, OSError):
            self._respawn()

    def ready(self, timeout: float) -> bool:
        """True when the child's answer to the oldest batch can be read without waiting."""
        if self._conn is None:
            return True
        try:
            return self._conn.poll(timeout)
        except (EOFError, OSError):
            return True  # result() finds the child dead and sends the batches again

    def result(self) -> BatchOutcome:
        """Wait for the child's answer to the oldest unanswered batch."""
        while True:
            assert self._conn is not None
            try:
                outcome: BatchOutcome = self._conn.recv()
            except (EOFError, OSError):
                self._respawn()
                continue
            self._unanswered.popleft()
            return outcome

    def close(self) -> None:
        """Ask the child to finish and wait for it."""
        try:
            if self._conn is not None:
                self._conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        if self._proc is not None:
            self._proc.join(10)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join(5)
        if self._conn is not None:
            self._conn.close()
