"""The whole demo hall on the embedded broker (`hallkeeper demo --broker embedded`)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.auth import log_in, make_user
from tests.test_demo import online, running_demo, wait


def test_demo_hall_runs_on_the_embedded_broker(tmp_path: Path) -> None:
    # the demo as `hallkeeper demo --broker embedded` runs it
    with running_demo(tmp_path / "demo", "embedded") as hub:
        client = httpx.Client(base_url=hub.api_url, timeout=10)
        log_in(client, make_user(hub.engine, "demo-test"))
        wait(lambda: online(client) >= 50, "the demo devices online")  # 52, 51 with drivers
        # tickets taken at the kiosk (edge -> broker -> ingest) and windows calling them
        wait(lambda: client.get("/api/queue/state").json().get("tickets"), "tickets issued")
