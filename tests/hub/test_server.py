"""End to end: HubServer, private broker, SQLite; a raw device goes offline -> the API shows it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from fastapi import APIRouter

from hub.server import HubServer
from hub.settings import HubSettings
from models.config import parse_config
from models.envelope import make_envelope
from models.events import Heartbeat
from models.topics import Channel, build_topic
from tests.support.broker import Broker

DEMO = Path(__file__).resolve().parents[2] / "firmware_cfg" / "halls" / "demo"


def poll(fetch: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 20.0) -> Any:
    """Call fetch until ok(result) or the deadline; return the last result."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


class Recorder:
    """A projector that keeps the batches it was given (an extra area's projector)."""

    name = "recorder"

    def __init__(self) -> None:
        self.batches: list[Any] = []

    def project(self, engine: Any, batch: Any) -> None:
        self.batches.append(batch)


@pytest.mark.usefixtures("migrated_hub_db")  # the hub starts on a migrated copy
def test_device_goes_offline_end_to_end(broker: Broker, tmp_path: Path) -> None:
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        broker_url=broker.url,
        hall_dirs=[DEMO],
        host="127.0.0.1",
        port=0,
        secret_key="test-secret",
        auth_required=False,  # these tests are about the hub, not its logins
        client_id=f"hk-test-{uuid.uuid4().hex[:6]}",
        tick_s=0.5,
    )
    extra = APIRouter(prefix="/api/test")
    extra.add_api_route("/ping", lambda: {"pong": True})
    recorder = Recorder()
    hub = HubServer(settings, projectors=[recorder], routers=[extra], area_modules=[])
    hub.start()
    dev = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id="w03-rate",
        protocol=mqtt.MQTTv5,
    )
    try:
        api = httpx.Client(base_url=hub.api_url, timeout=5)
        health = api.get("/api/health").json()
        assert health["status"] == "ok" and health["detail"]["publisher"] == "connected"
        assert health["detail"]["ingest"]["connects"] >= 1
        assert api.get("/api/test/ping").json() == {"pong": True}
        # config push ran at start: the device finds its retained document
        cfg: list[bytes] = []
        dev.on_message = lambda _c, _u, msg: cfg.append(msg.payload)
        dev.connect("127.0.0.1", broker.port)
        dev.loop_start()
        dev.subscribe(build_topic("demo", "w03-rate", Channel.CFG), qos=1)
        hb = make_envelope(
            hall="demo",
            device="w03-rate",
            seq=0,
            ts=datetime.now(UTC),
            synced=True,
            body=Heartbeat(
                uptime_s=3,
                agent_version="0.1.0",
                contract_version=1,
                outbox_depth=0,
                outbox_capacity=100,
                clock_synced=True,
            ),
        )
        dev.publish(
            build_topic("demo", "w03-rate", Channel.HB), hb.to_json(), qos=1
        ).wait_for_publish(5)
        online = poll(
            lambda: api.get("/api/devices/demo/w03-rate").json(), lambda d: d["status"] == "online"
        )
        assert online["status"] == "online" and online["uptime_s"] == 3

        dev.publish(
            build_topic("demo", "w03-rate", Channel.STATE), b"offline", qos=1, retain=True
        ).wait_for_publish(5)
        offline = poll(
            lambda: api.get("/api/devices/demo/w03-rate").json(), lambda d: d["status"] == "offline"
        )
        assert offline["status"] == "offline" and offline["open_alerts"] == ["offline"]
        alerts = api.get("/api/alerts", params={"state": "open", "device": "w03-rate"}).json()
        assert [(a["device"], a["kind"], a["state"]) for a in alerts] == [
            ("w03-rate", "offline", "open")
        ]

        poll(lambda: cfg, lambda c: bool(c), timeout=5)
        doc = parse_config(cfg[0])
        assert (doc.device, doc.kind, doc.version) == ("w03-rate", "rating_device", 1)
        versions = api.get("/api/config-versions").json()
        assert len(versions) == len(hub.halls[0].devices)
        assert any(b.states for b in recorder.batches)  # extra projectors get every batch
    finally:
        dev.disconnect()
        dev.loop_stop()
        hub.stop()


def test_hub_starts_with_every_built_area(broker: Broker, tmp_path: Path) -> None:
    """Every area module present (hub.areas.AREA_MODULES) plugs in, and fleet still answers."""
    from hub.areas import AREA_MODULES

    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        broker_url=broker.url,
        hall_dirs=[DEMO],
        port=0,
        secret_key="test-secret",
        auth_required=False,  # these tests are about the hub, not its logins
        client_id=f"hk-test-{uuid.uuid4().hex[:6]}",
        push_config_on_start=False,
    )
    hub = HubServer(settings)
    hub.start()
    try:
        assert hub.area_modules == list(AREA_MODULES)
        api = httpx.Client(base_url=hub.api_url, timeout=5)
        assert len(api.get("/api/devices").json()) == len(hub.halls[0].devices)
        names = {p.name for p in hub.areas}
        assert all(f"hub.{n}.area" in AREA_MODULES for n in names)
    finally:
        hub.stop()


@pytest.mark.usefixtures("migrated_hub_db")  # the hub starts on a migrated copy
def test_a_failing_area_stops_what_was_started(broker: Broker, tmp_path: Path) -> None:
    """An area whose setup fails makes start() raise, with nothing left running."""
    import sys
    import types

    import pytest

    module = types.ModuleType("hk_test_broken_area")

    def setup(ctx: Any) -> Any:
        raise RuntimeError("broken area")

    module.setup = setup  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        broker_url=broker.url,
        hall_dirs=[DEMO],
        port=0,
        secret_key="test-secret",
        auth_required=False,  # these tests are about the hub, not its logins
        push_config_on_start=False,
    )
    hub = HubServer(settings, area_modules=[module.__name__])
    try:
        with pytest.raises(RuntimeError, match="broken area"):
            hub.start()
        assert hub.engine is None and hub.commands is None and hub.ingest is None
    finally:
        sys.modules.pop(module.__name__, None)


@pytest.mark.usefixtures("migrated_hub_db")  # the hub starts on a migrated copy
def test_hub_restarts_and_keeps_what_it_knew(broker: Broker, tmp_path: Path) -> None:
    """stop() then start() again on the same database: the registry and alerts are still there."""
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        broker_url=broker.url,
        hall_dirs=[DEMO],
        port=0,
        secret_key="test-secret",
        auth_required=False,
        client_id=f"hk-test-{uuid.uuid4().hex[:6]}",
        push_config_on_start=False,
    )
    extra = APIRouter(prefix="/api/test")
    extra.add_api_route("/ping", lambda: {"pong": True})
    hub = HubServer(settings, routers=[extra], area_modules=[])
    hub.start()
    try:
        dev = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id="w06-led",
            protocol=mqtt.MQTTv5,
        )
        dev.connect("127.0.0.1", broker.port)
        dev.loop_start()
        dev.publish(
            build_topic("demo", "w06-led", Channel.STATE), b"offline", qos=1, retain=True
        ).wait_for_publish(5)
        dev.disconnect()
        dev.loop_stop()
        api = httpx.Client(base_url=hub.api_url, timeout=5)
        poll(lambda: api.get("/api/alerts").json(), lambda a: len(a) == 1)
        hub.stop()
        hub.start()
        api = httpx.Client(base_url=hub.api_url, timeout=5)
        assert api.get("/api/devices/demo/w06-led").json()["status"] == "offline"
        assert [a["kind"] for a in api.get("/api/alerts").json()] == ["offline"]
        assert len(hub.routers) == 2  # the fleet area's and the extra one, not doubled
        assert api.get("/api/test/ping").json() == {"pong": True}
    finally:
        hub.stop()
