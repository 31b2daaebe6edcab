"""Config push against a real broker: retained, versioned by settings hash, applied version."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.configpush import push_config, settings_hash
from hub.fleet.projector import FleetProjector
from hub.fleet.tables import ConfigVersion, DeviceHealth
from hub.ingest.hooks import IngestBatch
from hub.mqtt_out import MqttCommandSender
from models.config import ConfigDocument, parse_config
from models.envelope import make_envelope
from models.events import ConfigApplied
from models.layout import Device, Hall, load_hall
from models.topics import Channel, build_topic, subscription
from tests.support.broker import Broker

DEMO = Path(__file__).resolve().parents[2] / "firmware_cfg" / "halls" / "demo"
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def small_hall(baud: int = 9600) -> Hall:
    return Hall(
        id="demo",
        name="t",
        devices=[
            Device(
                id="w01-led",
                kind="counter_display",
                node="pi-w01",
                settings={"backend": "simulated", "baudrate": baud},
            ),
            Device(
                id="ent-face1", kind="face_terminal", node="pi-e", settings={"backend": "simulated"}
            ),
        ],
    )


def retained_configs(broker: Broker, timeout: float = 10.0) -> dict[str, ConfigDocument]:
    """Subscribe fresh (as a device would after a restart) and collect the retained cfg docs.

    A retained marker on another topic is subscribed second: the broker delivers the retained
    messages of the first subscription before it, so the marker says "that was all".
    """
    marker = f"test/marker/{uuid.uuid4().hex[:6]}"
    pub = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"m-{uuid.uuid4().hex[:6]}",
        protocol=mqtt.MQTTv5,
    )
    pub.connect("127.0.0.1", broker.port)
    pub.loop_start()
    pub.publish(marker, b"end", qos=1, retain=True).wait_for_publish(5)
    pub.disconnect()
    pub.loop_stop()
    got: dict[str, ConfigDocument] = {}
    done = threading.Event()

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        if msg.topic == marker:
            done.set()
        elif msg.retain and msg.payload:
            doc = parse_config(msg.payload)
            got[doc.device] = doc

    def on_connect(c: mqtt.Client, *_: object) -> None:
        c.subscribe(subscription(Channel.CFG), qos=1)
        c.subscribe(marker, qos=1)

    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"t-{uuid.uuid4().hex[:6]}",
        protocol=mqtt.MQTTv5,
    )
    client.on_message = on_message
    client.on_connect = on_connect
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        assert done.wait(timeout), "the marker never came"
    finally:
        client.disconnect()
        client.loop_stop()
    return got


def test_settings_hash_ignores_key_order() -> None:
    assert settings_hash("voice", {"a": 1, "b": 2}) == settings_hash("voice", {"b": 2, "a": 1})
    assert settings_hash("voice", {"a": 1}) != settings_hash("voice", {"a": 2})
    assert settings_hash("voice", {"a": 1}) != settings_hash("kiosk", {"a": 1})


def test_push_is_retained_and_versioned(engine: Engine, broker: Broker) -> None:
    sender = MqttCommandSender(broker.url, client_id="hub-out-test").start()
    try:
        first = push_config(engine, sender, [small_hall()], T0)
        assert {(r.device, r.version, r.changed, r.published) for r in first} == {
            ("w01-led", 1, True, True),
            ("ent-face1", 1, True, True),
        }
        docs = retained_configs(broker)
        assert docs["w01-led"].version == 1 and docs["w01-led"].settings.baudrate == 9600
        assert docs["w01-led"].kind == "counter_display"

        # unchanged settings keep the version
        again = push_config(engine, sender, [small_hall()], T0 + timedelta(minutes=1))
        assert {(r.device, r.version, r.changed) for r in again} == {
            ("w01-led", 1, False),
            ("ent-face1", 1, False),
        }

        # a changed setting bumps that device's version only
        changed = push_config(engine, sender, [small_hall(baud=19200)], T0 + timedelta(minutes=2))
        assert {(r.device, r.version, r.changed) for r in changed} == {
            ("w01-led", 2, True),
            ("ent-face1", 1, False),
        }
        docs = retained_configs(broker)
        assert docs["w01-led"].version == 2 and docs["w01-led"].settings.baudrate == 19200
        assert docs["ent-face1"].version == 1

        # a device taken out of the layout keeps no retained config
        only_led = Hall(id="demo", name="t", devices=[small_hall(baud=19200).devices[0]])
        push_config(engine, sender, [only_led], T0 + timedelta(minutes=3))
        assert set(retained_configs(broker)) == {"w01-led"}
    finally:
        sender.stop()
    with Session(engine) as s:
        versions = s.exec(select(ConfigVersion).where(ConfigVersion.device == "w01-led")).all()
        assert sorted(v.version for v in versions) == [1, 2]
        assert all(v.published_at is not None for v in versions)


def test_applied_version_is_recorded_by_the_projector(engine: Engine, broker: Broker) -> None:
    hall = load_hall(DEMO)
    sender = MqttCommandSender(broker.url, client_id="hub-out-test").start()
    try:
        results = push_config(engine, sender, [hall], T0)
    finally:
        sender.stop()
    assert len(results) == len(hall.devices) and all(r.published for r in results)
    applied = make_envelope(
        hall="demo", device="w01-led", seq=1, ts=T0, synced=True, body=ConfigApplied(version=1)
    )
    FleetProjector(clock=lambda: T0).project(engine, IngestBatch(events=(applied,), received_at=T0))
    with Session(engine) as s:
        h = s.get(DeviceHealth, ("demo", "w01-led"))
        assert h is not None and h.applied_config_version == 1
    assert build_topic("demo", "w01-led", Channel.CFG) == "hk/v1/demo/w01-led/cfg"
