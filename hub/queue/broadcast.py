"""Fan-out of queue snapshots to server-sent-event listeners, across threads and loops."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any


class Broadcaster:
    """Fans queue snapshots out to SSE listeners on any event loop, from any thread."""

    def __init__(self) -> None:
        self._subs: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]] = []
        self._lock = threading.Lock()

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        """A queue of snapshots for the calling coroutine's loop."""
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=100)
        with self._lock:
            self._subs.append((asyncio.get_running_loop(), q))
        return q

    def unsubscribe(self, q: asyncio.Queue[dict[str, Any]]) -> None:
        """Stop sending to a queue."""
        with self._lock:
            self._subs = [(lp, s) for lp, s in self._subs if s is not q]

    def publish(self, message: dict[str, Any]) -> None:
        """Send a message to every listener (dropped for a listener that is far behind)."""
        with self._lock:
            subs = list(self._subs)
        for loop, q in subs:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_put_nowait, q, message)

    def listeners(self) -> int:
        """How many listeners are subscribed."""
        return len(self._subs)


def _put_nowait(q: asyncio.Queue[dict[str, Any]], message: dict[str, Any]) -> None:
    with contextlib.suppress(asyncio.QueueFull):
        q.put_nowait(message)
