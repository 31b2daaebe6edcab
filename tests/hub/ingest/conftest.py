"""Helpers for ingest tests: envelopes, a QoS 1 publisher on the private broker, polling."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy.engine import Engine

from models.envelope import Envelope, make_envelope
from models.events import AwaySign, Liveness, Punch
from models.topics import Channel, build_topic
from tests.support.broker import Broker
from tests.support.waiting import wait_until as wait_until

HALL = "demo"
SHANGHAI = timezone(timedelta(hours=8))


def punch(
    device: str = "w01-face",
    seq: int = 1,
    staff: str = "S001",
    hall: str = HALL,
    ts: datetime | None = None,
) -> Envelope:
    """A valid punch envelope from a face terminal, device time in UTC+8 (now, unless `ts`)."""
    return make_envelope(
        hall=hall,
        device=device,
        seq=seq,
        ts=(ts or datetime.now(UTC)).astimezone(SHANGHAI),
        synced=True,
        body=Punch(staff_id=staff, distance=0.4, liveness=Liveness(passed=True)),
    )


def sign(device: str = "w01-sign", seq: int = 1) -> Envelope:
    """A valid away-sign-placed envelope."""
    from models.events import EventType

    return make_envelope(
        hall=HALL,
        device=device,
        seq=seq,
        ts=datetime.now(UTC),
        synced=True,
        body=AwaySign(seat="s1"),
        type=EventType.AWAY_SIGN_PLACED,
    )


def evt_topic(env: Envelope) -> str:
    """The evt topic of an envelope's device."""
    return build_topic(env.hall, env.device, Channel.EVT)


class Publisher:
    """A device-side paho client that publishes QoS 1 and waits for the broker's PUBACK."""

    def __init__(self, broker: Broker, client_id: str = "test-publisher") -> None:
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
        )
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()

    def send(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Publish and wait until the broker has it."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(10)
        assert info.is_published()

    def send_env(self, env: Envelope) -> None:
        """Publish an envelope on its device's evt topic."""
        self.send(evt_topic(env), env.to_json())

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(broker: Broker) -> Iterator[Publisher]:
    """A connected QoS 1 publisher on the test's private broker."""
    pub = Publisher(broker)
    yield pub
    pub.close()


@pytest.fixture
def pg_engine(pg_migrated_url: str) -> Iterator[Engine]:
    """A fresh migrated PostgreSQL database for this test (tests of PostgreSQL only)."""
    from hub.db import make_engine

    eng = make_engine(pg_migrated_url)
    yield eng
    eng.dispose()
