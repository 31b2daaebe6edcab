"""The whole demo hall on the embedded broker (`hallkeeper demo --broker embedded`)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx

from hub.demo.run import run_demo
from tests.support.auth import log_in, make_user
from tests.test_demo import wait


def test_demo_hall_runs_on_the_embedded_broker(tmp_path: Path) -> None:
    stop = threading.Event()
    ready: dict[str, Any] = {}
    failure: list[BaseException] = []

    def run() -> None:
        """The demo, as `hallkeeper demo --broker embedded` runs it."""
        try:
            run_demo(
                tmp_path / "demo",
                broker_url="embedded",
                port=0,
                stop_event=stop,
                on_ready=lambda hub: ready.setdefault("hub", hub),
            )
        except BaseException as exc:  # surfaced by the assertions below
            failure.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        wait(lambda: "hub" in ready or bool(failure), "the demo to start", timeout=120)
        assert not failure, failure
        hub = ready["hub"]
        client = httpx.Client(base_url=hub.api_url, timeout=10)
        log_in(client, make_user(hub.engine, "demo-test"))

        def online() -> int:
            """Devices the hub sees online (their retained state and heartbeats arrived)."""
            return sum(d["status"] == "online" for d in client.get("/api/devices").json())

        wait(lambda: online() >= 50, "the demo devices online")  # 52 devices, 51 with drivers
        # tickets taken at the kiosk (edge -> broker -> ingest) and windows calling them
        wait(lambda: client.get("/api/queue/state").json().get("tickets"), "tickets issued")
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive(), "the demo did not stop cleanly"
    assert not failure, failure
