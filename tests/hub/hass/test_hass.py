"""Home Assistant MQTT discovery: retained documents on the broker only when enabled, and the
away sign's state topic follows a real edge agent's sign (HubServer + private broker)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from edge.agent import Agent
from edge.settings import AgentSettings
from hub.hass.discovery import STATUS_TOPIC, discovery_documents, state_topic
from hub.server import HubServer
from hub.settings import HubSettings
from models.layout import load_hall
from tests.support.broker import Broker

DEMO = Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo"


def wait_for(cond: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Poll cond() until true or the deadline; its last value."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class Watcher:
    """Subscribes to a filter; keeps the last payload and retain flag per topic."""

    def __init__(self, broker: Broker, topic_filter: str) -> None:
        self.messages: dict[str, tuple[str, bool]] = {}
        self.marker = threading.Event()
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"watch-{uuid.uuid4().hex[:6]}",
            protocol=mqtt.MQTTv5,
        )
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()
        self.client.subscribe(topic_filter, qos=1)

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        if msg.topic.endswith("/zz-marker"):
            self.marker.set()
            return
        self.messages[msg.topic] = (msg.payload.decode(), bool(msg.retain))

    def all_retained_seen(self, prefix: str) -> None:
        """Every retained message was delivered: the broker sends them on subscribe, before a
        message published afterwards (the marker) reaches this subscriber."""
        self.client.publish(f"{prefix}/zz-marker", b"x", qos=1).wait_for_publish(5)
        assert self.marker.wait(10)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def settings(broker: Broker, tmp_path: Path, **extra: Any) -> HubSettings:
    """Hub settings for the demo hall on the private broker."""
    return HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        broker_url=broker.url,
        hall_dirs=[DEMO],
        port=0,
        secret_key="test-secret",
        auth_required=False,
        client_id=f"hk-test-{uuid.uuid4().hex[:6]}",
        **extra,
    )


@pytest.fixture
def sign_agent(broker: Broker, tmp_path: Path) -> Iterator[Agent]:
    """The demo hall's w01-a-sign on the real edge runtime, simulated pin."""
    hall = load_hall(DEMO)
    agent = Agent(
        hall,
        "pi-w01",
        AgentSettings(broker_url=broker.url, data_dir=tmp_path / "edge", outbox_sync="normal"),
        devices=["w01-a-sign"],
    ).start()
    yield agent
    agent.stop()


@pytest.mark.usefixtures("migrated_hub_db")  # the hub starts on a migrated copy
def test_discovery_off_by_default(broker: Broker, tmp_path: Path) -> None:
    """A hub with default settings publishes nothing under homeassistant/ or hallkeeper/ha/."""
    hub = HubServer(settings(broker, tmp_path), area_modules=["hub.hass.area"], serve_api=False)
    hub.start()
    try:
        ha, states = Watcher(broker, "homeassistant/#"), Watcher(broker, "hallkeeper/ha/#")
        ha.all_retained_seen("homeassistant")
        states.all_retained_seen("hallkeeper/ha")
        assert ha.messages == {} and states.messages == {}
        ha.close()
        states.close()
    finally:
        hub.stop()


@pytest.mark.usefixtures("migrated_hub_db")  # the hub starts on a migrated copy
def test_discovery_documents_and_away_sign_state(
    broker: Broker, tmp_path: Path, sign_agent: Agent
) -> None:
    """Enabled: every entity's document is retained; placing the sign turns its state ON."""
    hub = HubServer(
        settings(broker, tmp_path, ha_discovery=True),
        area_modules=["hub.hass.area"],
        serve_api=False,
    )
    hub.start()
    try:
        expected = dict(discovery_documents("homeassistant", hub.halls))
        watcher = Watcher(broker, "homeassistant/#")
        assert wait_for(lambda: len(watcher.messages) >= len(expected))
        watcher.close()
        late = Watcher(broker, "homeassistant/#")  # a new subscriber: HA after a restart
        late.all_retained_seen("homeassistant")
        assert set(late.messages) == set(expected)
        assert all(retained for _, retained in late.messages.values())
        topic = "homeassistant/binary_sensor/hallkeeper_demo/w01-a-sign_away_sign/config"
        doc = json.loads(late.messages[topic][0])
        assert doc["state_topic"] == state_topic("demo", "w01-a-sign", "away_sign")
        assert doc["state_topic"] == "hallkeeper/ha/demo/w01-a-sign/away_sign"
        assert doc["availability_topic"] == STATUS_TOPIC
        assert doc["unique_id"] == "hallkeeper_demo_w01-a-sign_away_sign"
        radar = "homeassistant/binary_sensor/hallkeeper_demo/w01-a-radar_presence/config"
        assert json.loads(late.messages[radar][0])["device_class"] == "occupancy"
        late.close()

        states = Watcher(broker, "hallkeeper/ha/#")
        sign_topic = state_topic("demo", "w01-a-sign", "away_sign")
        online_topic = state_topic("demo", "w01-a-sign", "online")
        assert wait_for(lambda: states.messages.get(online_topic, ("",))[0] == "ON")
        assert wait_for(lambda: states.messages.get(STATUS_TOPIC, ("",))[0] == "online")
        sign = sign_agent.runtime("w01-a-sign").driver
        sign.simulate_place()  # type: ignore[attr-defined]
        assert wait_for(lambda: states.messages.get(sign_topic, ("",))[0] == "ON")
        sign.simulate_remove()  # type: ignore[attr-defined]
        assert wait_for(lambda: states.messages.get(sign_topic, ("",))[0] == "OFF")
        states.close()
    finally:
        hub.stop()
    after = Watcher(broker, "hallkeeper/ha/#")
    after.all_retained_seen("hallkeeper/ha")
    assert after.messages[STATUS_TOPIC] == ("offline", True)  # entities unavailable now
    assert after.messages[sign_topic] == ("OFF", True)
    after.close()


@pytest.mark.usefixtures("migrated_hub_db")  # the hub starts on a migrated copy
def test_ingest_only_worker_publishes_states_not_discovery(
    broker: Broker, tmp_path: Path, sign_agent: Agent
) -> None:
    """A scale-out ingest worker (no background work) feeds states; discovery and the
    availability status belong to the hub that runs the background tasks."""
    hub = HubServer(
        settings(broker, tmp_path, ha_discovery=True),
        area_modules=["hub.hass.area"],
        serve_api=False,
        run_background=False,
    )
    hub.start()
    try:
        states = Watcher(broker, "hallkeeper/ha/#")
        sign_topic = state_topic("demo", "w01-a-sign", "away_sign")
        sign_agent.runtime("w01-a-sign").driver.simulate_place()  # type: ignore[attr-defined]
        assert wait_for(lambda: states.messages.get(sign_topic, ("",))[0] == "ON")
        states.close()
    finally:
        hub.stop()
    ha, after = Watcher(broker, "homeassistant/#"), Watcher(broker, "hallkeeper/ha/#")
    ha.all_retained_seen("homeassistant")
    after.all_retained_seen("hallkeeper/ha")
    assert ha.messages == {}
    assert STATUS_TOPIC not in after.messages
    assert after.messages[sign_topic] == ("ON", True)
    ha.close()
    after.close()
