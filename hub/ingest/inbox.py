"""The ingest worker's inbox: paho's network thread puts messages in, the writer takes batches.

`put` runs on paho's thread and only appends a small tuple to a deque (a thread-safe append)
and, when the writer sleeps on an empty inbox, wakes it. `collect` runs on the writer thread:
the first message (waited for when asked), then more while they keep coming (QUIET_S apart),
for at most the batch window, up to the batch size. A lone message is therefore never held for
the whole window, and a steady stream fills its batches in a few polls without a wake-up per
message.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import NamedTuple


class Received(NamedTuple):
    """One message as the network thread hands it to the writer thread (a plain tuple: cheap)."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    generation: int
    at: float


FILL_POLL_S = 0.002
"""How often the writer looks for more messages while a batch is filling."""
QUIET_S = 0.003
"""A filling batch is sent once no message came for this long (a lone message is not held for
the whole batch window); a steady stream fills batches up to batch_size or batch_ms."""
IDLE_S = 0.1
"""How long the writer sleeps on an empty inbox with nothing in flight."""


class Inbox:
    """Messages between paho's thread (`put`) and the writer thread (`collect`)."""

    def __init__(self, batch_size: int, batch_ms: float) -> None:
        self.batch_size = max(1, batch_size)
        self.batch_ms = max(0.0, batch_ms)
        self._queue: deque[Received] = deque()
        self._wake = threading.Event()  # set by paho's thread when the writer waits on nothing
        self._waiting = False

    def __len__(self) -> int:
        return len(self._queue)

    def put(self, message: Received) -> None:
        """Queue a message (paho's thread); wake the writer if it sleeps on an empty inbox."""
        self._queue.append(message)
        if self._waiting:
            self._wake.set()

    def _take(self, batch: list[Received]) -> None:
        """Move what the inbox holds into `batch`, up to batch_size."""
        queue = self._queue
        take = min(len(queue), self.batch_size - len(batch))
        batch.extend(queue.popleft() for _ in range(take))

    def wait(self, timeout: float) -> None:
        """Sleep until paho's thread delivers a message, or `timeout` seconds."""
        self._wake.clear()
        self._waiting = True
        try:
            if not self._queue:  # checked after `_waiting` is set: a message is never missed
                self._wake.wait(timeout)
        finally:
            self._waiting = False

    def collect(self, *, wait: bool) -> list[Received]:
        """Up to batch_size messages: the first (waited for only when `wait`), then more while
        they keep coming (QUIET_S), for at most batch_ms."""
        batch: list[Received] = []
        self._take(batch)
        if not batch:
            if not wait:
                return []
            self.wait(IDLE_S)
            self._take(batch)
            if not batch:
                return []
        now = time.monotonic()
        deadline = now + self.batch_ms / 1000
        quiet_until = now + QUIET_S
        while len(batch) < self.batch_size:
            now = time.monotonic()
            if now >= deadline or now >= quiet_until:
                break
            time.sleep(min(deadline - now, FILL_POLL_S))  # not woken per message: a busy hub
            before = len(batch)  # fills its batch in a few polls, an idle one never polls
            self._take(batch)
            if len(batch) > before:
                quiet_until = time.monotonic() + QUIET_S
        return batch
