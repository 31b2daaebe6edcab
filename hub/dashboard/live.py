"""Live updates: a projector that notes every committed batch, fanned out to SSE listeners."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.fleet.tables import Alert, AlertNote
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
        halls = {e.hall for e in (*batch.events, *batch.heartbeats)}
        halls |= {s.hall for s in batch.states}
        if halls:
            self.notify(sorted(halls))

    def notify(self, halls: Sequence[str]) -> None:
        """Tell every listener that these halls changed."""
        self.broadcaster.publish({"halls": list(halls)})


def alerts_version(engine: Engine) -> tuple[Any, ...]:
    """A stamp of the alert desk that changes whenever an alert is raised, acknowledged,
    resolved or re-opened (by any process writing the database)."""
    alert = Alert.__table__  # type: ignore[attr-defined]
    note = AlertNote.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                sa.func.max(alert.c.id),
                sa.func.max(alert.c.last_at),
                sa.func.count().filter(alert.c.state == "open"),
                sa.select(sa.func.max(note.c.id)).scalar_subquery(),
            )
        ).one()
    return tuple(row)


async def changes(
    feeds: Sequence[Broadcaster],
    hall: str,
    disconnected: Callable[[], Any],
    *,
    settle_s: float = 0.25,
    idle_s: float = 1.0,
    alert_version: Callable[[], Awaitable[object]] | None = None,
) -> AsyncGenerator[dict[str, str], None]:
    """SSE messages `hallmap` whenever one of the feeds reports a change of `hall`, and
    `alerts` whenever the alert desk's stamp changes (checked about once a second).

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
        seen = await alert_version() if alert_version else None
        yield {"event": "hello", "data": json.dumps({"hall": hall})}
        while not await disconnected():
            if alert_version is not None:
                stamp = await alert_version()
                if stamp != seen:
                    seen = stamp
                    yield {"event": "alerts", "data": json.dumps({"hall": hall})}
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
