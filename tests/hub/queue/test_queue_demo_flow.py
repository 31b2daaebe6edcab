"""The issue's "done when": in the demo hall a citizen takes a ticket at the kiosk, a counter
calls it, the counter display and the hall page show it, the voice file is made, service is
finished, and the statistics show it. Real hub (HubServer + queue area), broker, edge agents."""

from __future__ import annotations

import json
import time
import uuid
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from edge.agent import Agent
from edge.settings import AgentSettings
from hub.server import HubServer
from hub.settings import HubSettings
from models.layout import load_hall
from tests.support.broker import Broker

DEMO = Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo"


def poll(fetch: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if ok(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in time; last: {value!r}")
        time.sleep(0.05)


@pytest.mark.usefixtures("migrated_hub_db")  # the hub starts on a migrated copy
def test_demo_hall_ticket_to_finished_service(broker: Broker, tmp_path: Path) -> None:
    # rule QUEUE-1, QUEUE-4, QUEUE-5
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        broker_url=broker.url,
        hall_dirs=[DEMO],
        host="127.0.0.1",
        port=0,
        secret_key="test-secret",
        auth_required=False,  # these tests are about the hub, not its logins
        client_id=f"hk-q-{uuid.uuid4().hex[:6]}",
        batch_ms=5,
    )
    hub = HubServer(settings, area_modules=["hub.queue.area"]).start()
    hall = load_hall(DEMO)
    edge = AgentSettings(
        broker_url=broker.url, data_dir=tmp_path / "edge", clock_synced=True, heartbeat_s=3600
    )
    hall_pi = Agent(
        hall, "pi-hall", edge, devices=["hall-kiosk", "hall-printer", "hall-voice"]
    ).start()
    w03 = Agent(hall, "pi-w03", edge, devices=["w03-keypad", "w03-led"]).start()
    try:
        for agent in (hall_pi, w03):
            for rt in agent.runtimes.values():
                assert rt.session.wait_ready(20)
        api = httpx.Client(base_url=hub.api_url, timeout=10)
        page = api.get("/api/queue/hall")
        assert page.status_code == 200 and "示范政务服务大厅" in page.text

        kiosk = hall_pi.runtime("hall-kiosk").driver
        kiosk.take("medical")
        printer = hall_pi.runtime("hall-printer").driver
        printed = poll(lambda: printer.peer.tickets if printer.peer else [], bool)
        assert printed[0][1:4] == ["B001", "医保业务", "您前面还有 0 人"]

        with httpx.stream("GET", f"{hub.api_url}/api/queue/stream", timeout=60) as sse:
            first, event = True, ""
            for line in sse.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                if not line.startswith("data:") or event != "snapshot":
                    continue
                snap = json.loads(line[5:])
                if first:
                    first = False
                    w03.runtime("w03-keypad").driver.peer.press("next")
                elif snap["calls"]:
                    break
        assert snap["calls"][0]["text"] == "B001 请到3号窗口"  # the hall page's data, pushed

        led = w03.runtime("w03-led").driver
        poll(lambda: led.peer.lines.get(0), lambda t: t == "B001 请到3号窗口")
        voice = hall_pi.runtime("hall-voice").driver
        spoken = poll(lambda: list(voice.done), bool)
        assert spoken[0].text == "请B001号到3号窗口办理"
        with wave.open(str(spoken[0].wav)) as w:
            assert w.getnframes() > 0

        keypad = w03.runtime("w03-keypad").driver.peer
        keypad.press("start")
        keypad.press("finish")
        stats = poll(
            lambda: api.get("/api/queue/stats").json(), lambda s: s["total"]["served"] == 1
        )
        medical = next(g for g in stats["by_service"] if g["key"] == "medical")
        assert medical["served"] == 1 and medical["mean_wait_s"] is not None
        assert [g["key"] for g in stats["by_window"]] == ["w03"]
    finally:
        w03.stop()
        hall_pi.stop()
        hub.stop()
