"""The live stream on a real hub: a device state change reaches an open dashboard stream, and
stopping the hub ends open streams instead of leaving them hanging."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import httpx
import pytest

from hub.server import HubServer
from hub.settings import HubSettings
from tests.support.auth import log_in, make_user
from tests.support.broker import Broker

DEMO = Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo"


@pytest.mark.usefixtures("migrated_hub_db")  # the hub starts on a migrated copy
def test_stream_sends_changes_and_ends_when_the_hub_stops(broker: Broker, tmp_path: Path) -> None:
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        broker_url=broker.url,
        hall_dirs=[DEMO],
        port=0,
        client_id=f"hk-live-{uuid.uuid4().hex[:6]}",
        secret_key="live-test",
        areas=["hub.compliance.area", "hub.dashboard.area"],
    )
    hub = HubServer(settings).start()
    events: list[str] = []
    connected, changed = threading.Event(), threading.Event()
    try:
        assert hub.engine is not None
        client = httpx.Client(base_url=hub.api_url, timeout=30)
        assert client.get("/live/stream").status_code == 401
        log_in(client, make_user(hub.engine, "watcher"))

        def listen() -> None:
            try:
                with client.stream("GET", "/live/stream") as r:
                    for line in r.iter_lines():
                        if line.startswith("event:"):
                            events.append(line.split(":", 1)[1].strip())
                            connected.set()
                            if events[-1] == "hallmap":
                                changed.set()
            except httpx.HTTPError:
                pass

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        assert connected.wait(20)
        # a device comes online: its retained state goes through ingest to the stream
        import paho.mqtt.client as mqtt

        from models.topics import Channel, build_topic

        dev = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id="w01-led-test",
            protocol=mqtt.MQTTv5,
        )
        dev.connect("127.0.0.1", broker.port)
        dev.loop_start()
        dev.publish(build_topic("demo", "w01-led", Channel.STATE), b"online", qos=1, retain=True)
        assert changed.wait(20), events
        dev.loop_stop()
        dev.disconnect()
    finally:
        hub.stop()
    listener.join(10)
    assert not listener.is_alive(), "the stream stayed open after the hub stopped"
    assert events[:1] == ["hello"] and "hallmap" in events
