"""Test helpers for the edge agent: a small hall, and a raw paho QoS 1 subscriber as the hub."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from edge.settings import AgentSettings
from models.ack import StoredUpTo
from models.commands import CommandBody, make_command
from models.envelope import Envelope, parse_envelope
from models.layout import Hall, hall_from_dict
from models.topics import Channel, build_topic, parse_topic, subscription
from tests.support.waiting import wait_until as wait_until

HALL = "t1"
NODE = "n1"
SIGN = "sign-a"
SIGN_B = "sign-b"


def make_hall(debounce_s: float = 0.0) -> Hall:
    """A hall with one window, two seats and an away sign at each, all on node n1."""
    sign = {"backend": "simulated", "debounce_s": debounce_s}
    return hall_from_dict(
        {
            "id": HALL,
            "name": "test hall",
            "windows": [{"id": "w01", "number": 1, "seats": ["w01-a", "w01-b"]}],
            "devices": [
                {
                    "id": SIGN,
                    "kind": "away_sign",
                    "node": NODE,
                    "window": "w01",
                    "seat": "w01-a",
                    "settings": sign,
                },
                {
                    "id": SIGN_B,
                    "kind": "away_sign",
                    "node": NODE,
                    "window": "w01",
                    "seat": "w01-b",
                    "settings": sign,
                },
                {"id": "rate-x", "kind": "rating_device", "node": NODE, "seat": "w01-a"},
            ],
        }
    )


def agent_settings(broker_url: str, data_dir: Path, **extra: Any) -> AgentSettings:
    """Settings for tests: quick reconnects, slow heartbeats unless asked."""
    base: dict[str, Any] = {
        "broker_url": broker_url,
        "data_dir": data_dir,
        "heartbeat_s": 60,
        "reconnect_min_s": 0.1,
        "reconnect_max_s": 0.5,
        "keepalive_s": 5,
    }
    base.update(extra)
    return AgentSettings(**base)


class HubStandIn:
    """A persistent-session QoS 1 subscriber to evt, hb and state: what the hub would receive.

    Like the hub (hub.ingest.acks), it acknowledges to each device, retained on its ack topic,
    the seq up to which it holds every fact (unless `acks=False`).
    """

    def __init__(self, port: int, client_id: str = "hub-standin", *, acks: bool = True) -> None:
        self.port = port
        self.acks = acks
        self.lock = threading.Lock()
        self.envelopes: list[Envelope] = []
        self.seqs: dict[str, set[int]] = {}
        self.upto: dict[str, int] = {}
        self.unheard: dict[tuple[str, str], int] = {}
        self._stop = threading.Event()
        self._acker: threading.Thread | None = None
        self.states: list[tuple[str, bytes, bool]] = []
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.1, 0.5)  # type: ignore[arg-type]
        self.subscribed = threading.Event()

    def start(self) -> HubStandIn:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect_async(
            "127.0.0.1", self.port, keepalive=5, clean_start=False, properties=props
        )
        self.client.loop_start()
        assert self.subscribed.wait(10), "hub stand-in did not subscribe"
        if self.acks:
            self._acker = threading.Thread(target=self._ack_loop, daemon=True)
            self._acker.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._acker is not None:
            self._acker.join(5)
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: mqtt.Client, *args: Any) -> None:
        client.subscribe([(subscription(c), 1) for c in (Channel.EVT, Channel.HB, Channel.STATE)])
        self.subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        topic = parse_topic(msg.topic)
        with self.lock:
            if topic.channel is Channel.STATE:
                self.states.append((topic.device, bytes(msg.payload), bool(msg.retain)))
                return
            env = parse_envelope(bytes(msg.payload), topic)
            self.envelopes.append(env)
            if not (env.is_fact and self.acks):
                return
            seqs = self.seqs.setdefault(env.device, set())
            seqs.add(env.seq)
            upto = self.upto.get(env.device, 0)
            while upto + 1 in seqs:
                upto += 1
            self.upto[env.device] = upto
            self.unheard[(topic.hall, env.device)] = upto

    def _ack_loop(self) -> None:
        """As the hub (once per committed batch): each device's figure, every 20 ms at most."""
        while not self._stop.wait(0.02):
            with self.lock:
                due, self.unheard = self.unheard, {}
            for (hall, device), upto in due.items():
                ack = build_topic(hall, device, Channel.ACK)
                self.client.publish(ack, StoredUpTo(seq=upto).to_json(), qos=1, retain=True)

    def facts(self, device: str, type: str | None = None) -> list[Envelope]:
        """Facts received from a device, in arrival order (duplicates included)."""
        with self.lock:
            return [
                e
                for e in self.envelopes
                if e.device == device and e.is_fact and (type is None or e.type.value == type)
            ]

    def heartbeats(self, device: str) -> list[Envelope]:
        """Heartbeats received from a device."""
        with self.lock:
            return [e for e in self.envelopes if e.device == device and not e.is_fact]

    def state_payloads(self, device: str) -> list[bytes]:
        """online/offline payloads received for a device."""
        with self.lock:
            return [p for d, p, _ in self.states if d == device]

    def publish_config(
        self, device: str, kind: str, version: int, settings: dict[str, Any]
    ) -> None:
        """Publish a retained config document as the hub does, unchecked (the device checks it)."""
        doc = {
            "v": 1,
            "hall": HALL,
            "device": device,
            "kind": kind,
            "version": version,
            "issued_at": datetime.now(UTC).isoformat(),
            "settings": settings,
        }
        self.client.publish(
            build_topic(HALL, device, Channel.CFG), json.dumps(doc).encode(), qos=1, retain=True
        ).wait_for_publish(5)

    def send_command(self, device: str, body: CommandBody) -> str:
        """Publish a command; its id."""
        cmd = make_command(hall=HALL, device=device, ts=datetime.now(UTC), body=body)
        self.send_raw_command(device, cmd.to_json())
        return cmd.id

    def send_raw_command(self, device: str, payload: bytes) -> None:
        """Publish any bytes on a device's cmd topic."""
        self.client.publish(
            build_topic(HALL, device, Channel.CMD), payload, qos=1
        ).wait_for_publish(5)


def retained_state(port: int, device: str, timeout: float = 5.0) -> bytes | None:
    """The retained payload on a device's state topic, read by a fresh clean client."""
    got: list[bytes] = []
    done = threading.Event()
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"peek-{time.monotonic_ns()}",
        protocol=mqtt.MQTTv5,
    )

    def on_message(c: mqtt.Client, u: Any, msg: mqtt.MQTTMessage) -> None:
        if msg.retain:
            got.append(bytes(msg.payload))
            done.set()

    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.subscribe(build_topic(HALL, device, Channel.STATE), qos=1)
    client.loop_start()
    done.wait(timeout)
    client.disconnect()
    client.loop_stop()
    return got[-1] if got else None
