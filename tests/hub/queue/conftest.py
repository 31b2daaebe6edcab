"""Fixtures of the queue tests: the queue API on a real uvicorn server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from sqlalchemy.engine import Engine

from hub.api.app import create_app
from hub.commands import RecordingSender
from hub.queue.api import router
from hub.queue.service import QueueProjector
from models.layout import load_hall

NOON = datetime(2026, 11, 23, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
HALL = load_hall(Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo")


@pytest.fixture
def api(sqlite_engine: Engine) -> Iterator[tuple[str, QueueProjector, RecordingSender]]:
    sender = RecordingSender()
    # a fixed hub clock (mid-morning): no test crosses the hall's midnight reset
    projector = QueueProjector(sqlite_engine, sender, HALL, clock=lambda: NOON)
    app = create_app(engine=sqlite_engine, halls=[HALL], routers=[router], auth=False)
    app.state.queues = {HALL.id: projector}
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    sock = config.bind_socket()
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", projector, sender
    server.should_exit = True
    thread.join(timeout=10)
