"""Live updates: a projector that notes every committed batch, fanned out to SSE listeners."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import Any

from sqlalchemy.engine import Engine

from hub.ingest.hooks import IngestBatch
from hub.queue.broadcast import Broadcaster

logger = logging.getLogger(__name__)


class LiveFeed:
    """Projector run after the domain projectors: tells the dashboards which halls changed."""

    name = "dashboard"

    def __init__(self) -> None:
        """A feed with no listeners yet."""
        self.broadcaster = Broadcaster()

    def project(self, engine: Engine, batch: IngestBatch) -> None:
        """Announce the halls this batch touched (events or device states)."""
        halls = {e.hall for e in batch.events} | {s.hall for s in batch.states}
        if halls:
            self.notify(sorted(halls))

    def notify(self, halls: Sequence[str]) -> None:
        """Tell every listener that these halls changed."""
        self.broadcaster.publish({"halls": list(halls)})


async def changes(
    feeds: Sequence[Broadcaster],
    hall: str,
    disconnected: Callable[[], Any],
    *,
    settle_s: float = 0.25,
    idle_s: float = 1.0,
) -> AsyncGenerator[dict[str, str], None]:
    """SSE messages `hallmap` whenever one of the feeds reports a change of `hall`.

    Changes that come in a burst (one batch after another) are sent as one message.
    """
    merged: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=100)
    subs = [(feed, feed.subscribe()) for feed in feeds]

    async def pump(sub: asyncio.Queue[dict[str, Any]]) -> None:
        while True:
            msg = await sub.get()
            if merged.full():
                continue
            merged.put_nowait(msg)

    tasks = [asyncio.create_task(pump(sub)) for _, sub in subs]
    try:
        yield {"event": "hello", "data": json.dumps({"hall": hall})}
        while not await disconnected():
            try:
                msg = await asyncio.wait_for(merged.get(), timeout=idle_s)
            except TimeoutError:
                continue
            if msg.get("halls") is not None and hall not in msg["halls"]:
                continue
            if msg.get("hall") is not None and msg["hall"] != hall:
                continue  # a queue snapshot of another hall
            await asyncio.sleep(settle_s)
            while not merged.empty():
                merged.get_nowait()
            yield {"event": "hallmap", "data": json.dumps({"hall": hall})}
    finally:
        for task in tasks:
            task.cancel()
        for feed, sub in subs:
            feed.unsubscribe(sub)
