"""The hub's outgoing MQTT: commands to devices (CommandSender) and retained config documents."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import paho.mqtt.client as mqtt

from models.broker import BrokerSettings
from models.commands import CommandBody, make_command
from models.config import ConfigDocument
from models.topics import Channel, build_topic

logger = logging.getLogger(__name__)


class MqttCommandSender:
    """Publishes commands (QoS 1) and retained config documents; a CommandSender."""

    def __init__(self, broker: str | BrokerSettings, *, client_id: str) -> None:
        self.broker = BrokerSettings.of(broker)
        self.client_id = client_id
        self._connected = threading.Event()
        client = self.broker.client(client_id)  # URL, TLS, credentials: models/broker.py
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.reconnect_delay_set(1, 30)
        self._client = client

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: object,
        reason_code: mqtt.ReasonCode,
        properties: object,
    ) -> None:
        if reason_code.is_failure:
            logger.error("broker refused the hub publisher: %s", reason_code)
            return
        self._connected.set()
        logger.info("hub publisher connected to %s", self.broker.describe())

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: object,
        reason_code: mqtt.ReasonCode,
        properties: object,
    ) -> None:
        self._connected.clear()
        logger.warning("hub publisher disconnected: %s", reason_code)

    def start(self, timeout: float = 10.0) -> MqttCommandSender:
        """Connect and run the network loop; wait up to `timeout` for the connection."""
        self.broker.connect_async(self._client)
        self._client.loop_start()
        if not self._connected.wait(timeout):
            logger.warning("hub publisher not connected after %.0fs; messages are queued", timeout)
        return self

    def stop(self) -> None:
        """Disconnect and stop the network loop; safe to call twice."""
        self._client.disconnect()
        self._client.loop_stop()

    @property
    def connected(self) -> bool:
        """True while connected to the broker."""
        return self._connected.is_set()

    def send(self, hall: str, device: str, body: CommandBody) -> str:
        """Publish a command to the device's cmd topic (QoS 1); return its id."""
        cmd = make_command(hall=hall, device=device, ts=datetime.now(UTC), body=body)
        self._client.publish(build_topic(hall, device, Channel.CMD), cmd.to_json(), qos=1)
        logger.debug("command %s %s -> %s/%s", cmd.id, cmd.type.value, hall, device)
        return cmd.id

    def publish_config(self, doc: ConfigDocument, timeout: float | None = 10.0) -> bool:
        """Publish one config document retained (QoS 1); with a timeout, wait for the PUBACK."""
        return self.publish_configs([doc], timeout)[0]

    def clear_configs(
        self, devices: Sequence[tuple[str, str]], timeout: float | None = 10.0
    ) -> list[bool]:
        """Remove the retained config of these (hall, device) pairs (an empty retained message)."""
        infos = [
            self._client.publish(build_topic(h, d, Channel.CFG), b"", qos=1, retain=True)
            for h, d in devices
        ]
        return self._confirmed([f"{h}/{d}" for h, d in devices], infos, timeout)

    def _confirmed(
        self, names: Sequence[str], infos: Sequence[mqtt.MQTTMessageInfo], timeout: float | None
    ) -> list[bool]:
        """Wait up to `timeout` for each PUBACK; True per message the broker confirmed."""
        if timeout is None:
            return [True] * len(infos)
        deadline = time.monotonic() + timeout
        done: list[bool] = []
        for name, info in zip(names, infos, strict=True):
            try:
                info.wait_for_publish(max(0.0, deadline - time.monotonic()))
            except (RuntimeError, ValueError) as exc:  # not connected or queue full
                logger.warning("retained config of %s not confirmed: %s", name, exc)
                done.append(False)
                continue
            done.append(info.is_published())
        return done

    def publish_configs(
        self, docs: Sequence[ConfigDocument], timeout: float | None = 10.0
    ) -> list[bool]:
        """Publish config documents retained (QoS 1), then wait up to `timeout` for every PUBACK.

        Returns, per document, whether the broker confirmed it (True for all without timeout).
        """
        infos = [
            self._client.publish(
                build_topic(d.hall, d.device, Channel.CFG), d.to_json(), qos=1, retain=True
            )
            for d in docs
        ]
        return self._confirmed([f"{d.hall}/{d.device}" for d in docs], infos, timeout)
