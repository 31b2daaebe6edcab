"""The Home Assistant bridge: publishes discovery documents and device states over MQTT.

Its own paho client from models/broker.py, as every client's (so it reaches an mqtts:// broker
with the hub's CA and, for mutual TLS, its certificate); retained QoS 1 publishes; on the hub
that publishes discovery, LWT `offline` on the status topic. Ingest hands it device facts as a
projector: away sign placed/removed, presence, heartbeats (outbox depth) and online/offline
states become retained state messages.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Sequence

import paho.mqtt.client as mqtt
from sqlalchemy.engine import Engine

from hub.hass.discovery import OFF, ON, STATUS_TOPIC, discovery_documents, state_topic
from hub.ingest.hooks import IngestBatch
from models.broker import BrokerSettings
from models.events import AwaySign, EventType, Heartbeat, Presence
from models.layout import Hall

logger = logging.getLogger(__name__)


class HassBridge:
    """Connects once (lazily), publishes retained; start() also publishes discovery."""

    name = "hass"

    def __init__(
        self, broker: str | BrokerSettings, client_id: str, prefix: str, halls: Sequence[Hall]
    ):
        self.broker, self.prefix, self.halls = BrokerSettings.of(broker), prefix, list(halls)
        self._client_id = f"{client_id}-ha-{uuid.uuid4().hex[:6]}"
        self._client: mqtt.Client | None = None
        self._lock = threading.Lock()
        self._announce = False
        self.published = 0

    def _connect(self) -> mqtt.Client:
        with self._lock:
            if self._client is not None:
                return self._client
            client = self.broker.client(self._client_id)  # URL, TLS, credentials
            if self._announce:  # only the hub that published discovery speaks for availability
                client.will_set(STATUS_TOPIC, "offline", qos=1, retain=True)
                client.on_connect = lambda c, *_: c.publish(
                    STATUS_TOPIC, "online", qos=1, retain=True
                )
            client.reconnect_delay_set(1, 10)
            self.broker.connect_async(client)
            client.loop_start()
            self._client = client
            return client

    def publish(self, topic: str, payload: str) -> None:
        """Publish retained at QoS 1 (paho queues it while the connection is being made)."""
        self._connect().publish(topic, payload, qos=1, retain=True)
        self.published += 1

    def start(self) -> HassBridge:
        """Connect (with the availability will) and publish every discovery document.

        Ingest-only workers never call start(): their bridge publishes states only, with no
        will, so one worker going away does not mark every entity unavailable.
        """
        with self._lock:
            self._announce = True
            client, self._client = self._client, None
        if client is not None:  # connected by the projector without the will: reconnect
            client.disconnect()
            client.loop_stop()
        docs = discovery_documents(self.prefix, self.halls)
        for topic, doc in docs:
            self.publish(topic, json.dumps(doc, ensure_ascii=False, sort_keys=True))
        logger.info("home assistant discovery: %d entities published", len(docs))
        return self

    def stop(self) -> None:
        """Say offline and disconnect (safe to call twice)."""
        with self._lock:
            client, self._client = self._client, None
        if client is None:
            return
        info = client.publish(STATUS_TOPIC, "offline", qos=1, retain=True)
        try:
            info.wait_for_publish(2)
        except (RuntimeError, ValueError):
            logger.debug("home assistant bridge: offline status not sent")
        client.disconnect()
        client.loop_stop()

    def project(self, engine: Engine, batch: IngestBatch) -> None:
        """Projector: turn the batch's device facts and states into HA state messages."""
        for state in batch.states:
            self.publish(
                state_topic(state.hall, state.device, "online"), ON if state.online else OFF
            )
        for env in (*batch.events, *batch.heartbeats):
            body = env.body
            if env.type is EventType.AWAY_SIGN_PLACED and isinstance(body, AwaySign):
                self.publish(state_topic(env.hall, env.device, "away_sign"), ON)
            elif env.type is EventType.AWAY_SIGN_REMOVED and isinstance(body, AwaySign):
                self.publish(state_topic(env.hall, env.device, "away_sign"), OFF)
            elif isinstance(body, Presence):
                self.publish(
                    state_topic(env.hall, env.device, "presence"), ON if body.present else OFF
                )
            elif isinstance(body, Heartbeat):
                self.publish(state_topic(env.hall, env.device, "outbox"), str(body.outbox_depth))
