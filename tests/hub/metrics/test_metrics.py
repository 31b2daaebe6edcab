"""/metrics on a running hub (HubServer + private broker): real numbers after real ingest."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hub.server import HubServer
from hub.settings import HubSettings
from models.envelope import make_envelope
from models.events import Heartbeat, Presence
from models.topics import Channel, build_topic
from tests.support.broker import Broker

DEMO = Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo"


def poll(fetch: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 30.0) -> Any:
    """Call fetch until ok(result) or the deadline; return the last result."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of a text exposition."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def make_hub(broker: Broker, db_url: str, **extra: Any) -> HubServer:
    """A hub with only the metrics area, serving its API on a free port."""
    settings = HubSettings(
        database_url=db_url,
        broker_url=broker.url,
        hall_dirs=[DEMO],
        port=0,
        secret_key="test-secret",
        client_id=f"hk-test-{uuid.uuid4().hex[:6]}",
        **{"auth_required": False, **extra},
    )
    return HubServer(settings, area_modules=["hub.metrics.area"]).start()


@pytest.fixture
def device(broker: Broker) -> Iterator[mqtt.Client]:
    """A raw MQTT client standing in for demo device w01-a-radar."""
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id="w01-a-radar",
        protocol=mqtt.MQTTv5,
    )
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    yield client
    client.disconnect()
    client.loop_stop()


def send(
    client: mqtt.Client, channel: Channel, payload: bytes, device: str = "w01-a-radar"
) -> None:
    """Publish QoS 1 as `device` and wait for the PUBACK."""
    topic = build_topic("demo", device, channel)
    retain = channel is Channel.STATE
    client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)


def test_metrics_show_ingest_devices_and_alerts(
    broker: Broker, migrated_db_url: str, device: mqtt.Client
) -> None:
    """After 3 presence facts, a heartbeat, a duplicate and a bad message: the exact counts."""
    hub = make_hub(broker, migrated_db_url)
    try:
        api = httpx.Client(base_url=hub.api_url, timeout=5)
        first = api.get("/metrics")
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("text/plain")
        facts = [
            make_envelope(
                hall="demo",
                device="w01-a-radar",
                seq=n,
                ts=datetime.now(UTC),
                synced=True,
                body=Presence(seat="w01-a", present=n % 2 == 1),
            )
            for n in (1, 2, 3)
        ]
        send(device, Channel.STATE, b"online")
        for env in facts:
            send(device, Channel.EVT, env.to_json())
        hb = make_envelope(
            hall="demo",
            device="w01-a-radar",
            seq=3,
            ts=datetime.now(UTC),
            synced=True,
            body=Heartbeat(
                uptime_s=5,
                agent_version="0.1.0",
                contract_version=1,
                outbox_depth=0,
                outbox_capacity=100,
                clock_synced=True,
            ),
        )
        send(device, Channel.HB, hb.to_json())
        send(device, Channel.EVT, b"{not json")
        send(device, Channel.STATE, b"offline", device="w02-a-sign")  # opens an offline alert

        def scrape() -> dict[Any, float]:
            return samples(api.get("/metrics").text)

        key = ("hallkeeper_ingest_stored_events_total", ())
        got = poll(scrape, lambda m: m.get(key, 0) >= 3)
        assert got[key] == 3  # the three facts: a heartbeat is not a stored event (issue 21)
        send(device, Channel.EVT, facts[0].to_json())  # a redelivery: dropped by its id
        dup = ("hallkeeper_ingest_duplicates_total", ())

        def alerts(m: dict[Any, float]) -> float:
            return sum(v for k, v in m.items() if k[0] == "hallkeeper_open_alerts")

        got = poll(scrape, lambda m: m.get(dup, 0) >= 1 and alerts(m) >= 1)
        assert got[dup] == 1
        assert got[key] == 3
        assert got[("hallkeeper_ingest_dead_letters_total", ())] == 1
        assert got[("hallkeeper_dead_letters", ())] == 1
        assert got[("hallkeeper_ingest_received_total", ())] >= 8
        assert got[("hallkeeper_devices", (("hall", "demo"),))] == len(hub.halls[0].devices)
        assert got[("hallkeeper_devices_online", (("hall", "demo"),))] == 1
        assert alerts(got) >= 1  # w02-a-sign offline
        assert got[("hallkeeper_event_age_seconds", ())] >= 0
        assert got[("hallkeeper_ingest_lag_seconds", ())] >= 0
        assert got[("hallkeeper_ingest_projector_errors_total", ())] == 0
    finally:
        hub.stop()


@pytest.mark.usefixtures("migrated_hub_db")  # the hub starts on a migrated copy
def test_metrics_token_is_required_when_set(broker: Broker, tmp_path: Path) -> None:
    """With metrics_token set, a scrape without the bearer token is refused; the operators'
    login (auth_required) does not apply to /metrics, the token does."""
    hub = make_hub(
        broker, f"sqlite:///{tmp_path / 'hub.db'}", metrics_token="scrape-me", auth_required=True
    )
    try:
        api = httpx.Client(base_url=hub.api_url, timeout=5)
        assert api.get("/metrics").status_code == 401
        wrong = api.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = api.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert ok.status_code == 200
        assert ("hallkeeper_ingest_stored_events_total", ()) in samples(ok.text)
    finally:
        hub.stop()
