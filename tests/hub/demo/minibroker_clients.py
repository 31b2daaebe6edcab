"""Real paho 2.2 MQTT v5 clients for the embedded broker's tests."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.support.waiting import wait_until as wait_until


class Peer:
    """A paho client (VERSION2 callbacks, MQTTv5) that records what it receives."""

    def __init__(
        self,
        port: int,
        client_id: str | None = None,
        *,
        manual_ack: bool = False,
        session_expiry: int = 0,
        clean_start: bool = True,
        keepalive: int = 30,
        will: tuple[str, bytes] | None = None,
        loop: bool = True,
    ) -> None:
        self.port = port
        self.client_id = client_id or f"peer-{uuid.uuid4().hex[:8]}"
        self.lock = threading.Lock()
        self.messages: list[mqtt.MQTTMessage] = []
        self.connected = threading.Event()
        self.session_present: bool | None = None
        self.disconnect_reasons: list[int] = []
        self.granted: list[int] = []
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=manual_ack,
        )
        self.client.username_pw_set("demo", "anything")  # accepted: the demo broker has no auth
        if will is not None:
            self.client.will_set(will[0], will[1], qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = session_expiry
        self.client.connect(
            "127.0.0.1", port, keepalive=keepalive, clean_start=clean_start, properties=props
        )
        if loop:
            self.client.loop_start()
        else:
            wait_until(lambda: self.client.loop(0.05) is not None and self.connected.is_set())
        assert self.connected.wait(10), "not connected"

    def _on_connect(self, c: mqtt.Client, u: Any, flags: Any, rc: Any, p: Any) -> None:
        self.session_present = bool(flags.session_present)
        self.connected.set()

    def _on_message(self, c: mqtt.Client, u: Any, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append(msg)

    def _on_disconnect(self, c: mqtt.Client, u: Any, flags: Any, rc: Any, p: Any) -> None:
        self.disconnect_reasons.append(int(rc.value))
        self.connected.clear()

    def _on_subscribe(self, c: mqtt.Client, u: Any, mid: int, codes: Any, p: Any) -> None:
        self.granted = [int(rc.value) for rc in codes]

    def subscribe(self, topic: str, qos: int = 1) -> list[int]:
        """Subscribe and wait for the SUBACK; the granted QoS / reason codes."""
        self.granted = []
        self.client.subscribe(topic, qos)
        wait_until(lambda: self.granted, what=f"SUBACK for {topic}")
        return self.granted

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        """Publish and, for QoS 1, wait for the PUBACK."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        if qos:
            info.wait_for_publish(10)

    def payloads(self, topic: str | None = None) -> list[bytes]:
        """Payloads received (on one topic if given), in arrival order."""
        with self.lock:
            return [bytes(m.payload) for m in self.messages if topic in (None, m.topic)]

    def received(self) -> list[mqtt.MQTTMessage]:
        """A copy of the received messages."""
        with self.lock:
            return list(self.messages)

    def close(self) -> None:
        """Normal DISCONNECT (no will) and stop the loop."""
        self.client.disconnect()
        self.client.loop_stop()
