"""One device's MQTT session; the only module of the edge agent that imports paho.

Its client comes from models/broker.py (URL, TLS and mutual TLS, credentials), as every client's.

MQTT v5, client id = device id, persistent session (clean_start False, session expiry),
retained LWT "offline" on the device's state topic and a retained "online" on every connect,
subscriptions to the device's cfg, cmd and ack topics on every (re)connect, automatic reconnect
with back-off. The runtime sees `Received` objects, never paho's.

Ordering: paho would re-send its unacknowledged publishes on a new connection, ahead of
anything older that the hub has not stored either. The runtime's sender re-sends all of those
itself, oldest first (edge/sender.py), so the session drops paho's copies before each connect
(`_forget_unacknowledged`). `connection` counts the connections; it moves before `ready` is
set, so a sender that sees `ready` knows which connection its window belongs to.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from edge.settings import AgentSettings
from models.topics import Channel, build_topic, parse_topic

logger = logging.getLogger(__name__)

ONLINE = b"online"
OFFLINE = b"offline"


@dataclass(frozen=True, slots=True)
class Received:
    """A message for the device (config or command), detached from paho."""

    channel: Channel
    payload: bytes
    retained: bool
    mid: int
    qos: int


class Session:
    """The MQTT connection of one device: connect, publish, receive, acknowledge."""

    def __init__(
        self,
        hall: str,
        device: str,
        settings: AgentSettings,
        *,
        on_message: Callable[[Received], None],
        on_ready: Callable[[], None],
        on_published: Callable[[int, bool], None],
    ) -> None:
        self.hall, self.device, self.settings = hall, device, settings
        self._on_message_cb = on_message
        self._on_ready_cb = on_ready
        self._on_published_cb = on_published
        self._ready = threading.Event()
        self._sub_mid: int | None = None
        self.connection = 0
        self.state_topic = build_topic(hall, device, Channel.STATE)
        # Hall-qualified: devices of two halls on one broker keep their own sessions ("." is
        # not allowed in hall or device names, so the id is unambiguous). A broker with
        # use_username_as_clientid (deploy/mosquitto) replaces it with the device's user.
        self.client_id = f"{hall}.{device}{settings.client_id_suffix}"
        self.inbound = [
            build_topic(hall, device, c) for c in (Channel.CFG, Channel.CMD, Channel.ACK)
        ]
        self.broker = settings.broker(device)
        self.client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        s = self.settings
        client = self.broker.client(self.client_id, manual_ack=True)  # URL, TLS, credentials
        client.will_set(self.state_topic, OFFLINE, qos=1, retain=True)
        client.reconnect_delay_set(s.reconnect_min_s, s.reconnect_max_s)  # type: ignore[arg-type]
        client.max_inflight_messages_set(s.inflight + 10)
        client.on_pre_connect = self._forget_unacknowledged
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        return client

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background; paho keeps reconnecting until stop()."""
        self.broker.connect_async(
            self.client, clean_start=False, session_expiry_s=self.settings.session_expiry_s
        )
        self.client.loop_start()

    def stop(self, timeout: float = 2.0) -> None:
        """Say "offline" (retained) if connected, then disconnect and stop the network thread."""
        if self._ready.is_set():
            info = self.client.publish(self.state_topic, OFFLINE, qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                logger.debug("%s: offline state not sent", self.device)
        self._ready.clear()
        self.client.disconnect()
        self.client.loop_stop()

    @property
    def ready(self) -> bool:
        """Connected, subscribed, and past paho's re-sends: new publishes go out in order."""
        return self._ready.is_set()

    def wait_ready(self, timeout: float) -> bool:
        """Block until ready or timeout; True when ready."""
        return self._ready.wait(timeout)

    # ---- traffic ---------------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> int | None:
        """Hand one message to paho; its mid, or None when paho refused it."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            logger.warning(
                "%s: paho refused a publish: %s", self.device, mqtt.error_string(info.rc)
            )
            return None
        return info.mid

    def ack(self, message: Received) -> None:
        """Acknowledge a received message (after the runtime has dealt with it)."""
        if message.qos > 0:
            self.client.ack(message.mid, message.qos)

    # ---- paho callbacks (network thread) ---------------------------------------------------

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            logger.error("%s: broker refused the connection: %s", self.device, reason_code)
            return
        logger.info("%s: connected (session present: %s)", self.device, flags.session_present)
        self.connection += 1
        client.publish(self.state_topic, ONLINE, qos=1, retain=True)
        _, self._sub_mid = client.subscribe([(t, SubscribeOptions(qos=1)) for t in self.inbound])

    def _forget_unacknowledged(self, client: mqtt.Client, userdata: Any) -> None:
        """Drop paho's unacknowledged publishes before a connect: the sender re-sends them in
        order with everything else the hub has not stored (paho 2.x keeps them in
        `_out_messages`; there is no public call for this)."""
        with client._out_message_mutex:
            client._out_messages.clear()
            client._inflight_messages = 0

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        if mid != self._sub_mid:
            return
        refused = [str(rc) for rc in reason_codes if rc.is_failure]
        if refused:
            logger.error("%s: subscriptions refused: %s", self.device, ", ".join(refused))
        self._ready.set()
        self._on_ready_cb()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if self._ready.is_set():
            logger.warning("%s: disconnected: %s", self.device, reason_code)
        self._ready.clear()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            channel = parse_topic(msg.topic).channel
        except ValueError:
            logger.warning("%s: message on unexpected topic %r", self.device, msg.topic)
            self.client.ack(msg.mid, msg.qos)
            return
        self._on_message_cb(
            Received(channel, bytes(msg.payload), bool(msg.retain), msg.mid, msg.qos)
        )

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._on_published_cb(mid, not reason_code.is_failure)
