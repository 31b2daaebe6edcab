"""The hub's acknowledgement to devices (issue 21 point 1), on a real worker and mosquitto: after
the commit, retained on the device's own ack topic, the seq below which nothing is missing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy.engine import Engine

from hub.events import queries
from hub.ingest.acks import REPEAT_AFTER_S, AckPublisher
from hub.ingest.worker import IngestWorker
from models.ack import parse_ack
from models.topics import Channel, build_topic, subscription
from tests.hub.ingest.conftest import HALL, Publisher, punch, wait_until
from tests.support.broker import Broker

DEVICE = "w01-face"


class AckListener:
    """A device-side subscriber to every ack topic that notes, on each acknowledgement, the
    figure and how many facts the hub's database held at that moment."""

    def __init__(self, broker: Broker, engine: Engine) -> None:
        self.engine = engine
        self.heard: list[tuple[str, int, bool, int]] = []  # device, seq, retained, stored
        self.lock = threading.Lock()
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"ack-listener-{time.monotonic_ns()}",
            protocol=mqtt.MQTTv5,
        )
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", broker.port)
        self.client.subscribe(subscription(Channel.ACK), qos=1)
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        device = msg.topic.split("/")[3]
        stored = queries.count_events(self.engine)[0]
        with self.lock:
            self.heard.append((device, parse_ack(bytes(msg.payload)).seq, msg.retain, stored))

    def seqs(self, device: str = DEVICE) -> list[int]:
        """The figures heard for a device, in order."""
        with self.lock:
            return [seq for d, seq, _, _ in self.heard if d == device]

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def worker(sqlite_engine: Engine, broker: Broker) -> Iterator[IngestWorker]:
    """A real ingest worker on the private broker."""
    w = IngestWorker(sqlite_engine, broker.url, client_id="hub-acks", writer="thread").start()
    assert w.wait_ready(10)
    yield w
    w.stop()


def test_each_device_hears_after_the_commit_the_seq_below_which_nothing_is_missing(
    sqlite_engine: Engine, broker: Broker, worker: IngestWorker, publisher: Publisher
) -> None:
    listener = AckListener(broker, sqlite_engine)
    try:
        envs = {s: punch(seq=s) for s in range(1, 6)}
        for s in (1, 2):
            publisher.send_env(envs[s])
        wait_until(lambda: 2 in listener.seqs(), what="ack 2")
        for s in (4, 5):  # 3 is missing: the device must keep 3, 4 and 5
            publisher.send_env(envs[s])
        wait_until(lambda: queries.count_events(sqlite_engine)[0] == 4, what="four stored")
        time.sleep(0.3)
        assert max(listener.seqs()) == 2
        publisher.send_env(envs[3])
        wait_until(lambda: 5 in listener.seqs(), what="ack 5 once the gap is filled")
        # after the commit, never before: whenever a figure was heard, the facts were stored
        assert all(stored >= seq for _, seq, _, stored in listener.heard)
        heard_before = len(listener.seqs())
        publisher.send_env(envs[2])  # a repeat, sent soon after: no new figure
        time.sleep(0.3)
        assert len(listener.seqs()) == heard_before
        time.sleep(REPEAT_AFTER_S)
        publisher.send_env(envs[2])  # a repeat later on: the device may have missed the figure
        wait_until(lambda: len(listener.seqs()) > heard_before, what="the figure again")
        assert listener.seqs()[-1] == 5
    finally:
        listener.close()
    late = AckListener(broker, sqlite_engine)  # a device that (re)connects gets it retained
    try:
        wait_until(lambda: late.heard, what="the retained acknowledgement")
        assert late.heard[0][:3] == (DEVICE, 5, True)
    finally:
        late.close()
    assert queries.count_events(sqlite_engine) == (5, 5)


def test_heartbeats_and_refused_messages_bring_no_acknowledgement(
    sqlite_engine: Engine, broker: Broker, worker: IngestWorker, publisher: Publisher
) -> None:
    listener = AckListener(broker, sqlite_engine)
    try:
        publisher.send(build_topic(HALL, DEVICE, Channel.EVT), b"{not json")
        publisher.send(build_topic(HALL, "other", Channel.EVT), punch(seq=1).to_json())  # forged
        publisher.send_env(punch(device="w02-face", seq=1))  # the sentinel
        wait_until(lambda: listener.seqs("w02-face") == [1], what="the sentinel's ack")
        assert listener.seqs() == [] and listener.seqs("other") == []
    finally:
        listener.close()


def test_the_publisher_repeats_an_unchanged_figure_only_after_a_while() -> None:
    sent: list[tuple[str, bytes]] = []
    now = [100.0]
    acks = AckPublisher(lambda t, p: sent.append((t, p)), clock=lambda: now[0])
    key = (HALL, DEVICE)
    acks.committed({key: 3})
    acks.committed({key: 3})
    acks.committed({key: 4, (HALL, "w02-face"): 1})
    now[0] += REPEAT_AFTER_S
    acks.committed({key: 4})
    assert [(t.split("/")[3], parse_ack(p).seq) for t, p in sent] == [
        (DEVICE, 3),
        (DEVICE, 4),
        ("w02-face", 1),
        (DEVICE, 4),
    ]
    assert all(t.endswith("/ack") for t, _ in sent)


def test_a_refused_fact_is_held_as_a_dead_letter_and_does_not_hold_the_acknowledgement_back(
    sqlite_engine: Engine, broker: Broker, worker: IngestWorker, publisher: Publisher
) -> None:
    """Issue 21: a fact dead-lettered between seq 1 and 3 (its clock 2 h ahead) left the ack at
    1 for good, so the device kept every later fact in its outbox. A refused fact is held (as a
    dead letter); sent again it is neither an unexpected seq nor a restart of the numbering."""
    listener = AckListener(broker, sqlite_engine)
    try:
        ahead = punch(seq=2, ts=datetime.now(UTC) + timedelta(hours=2))
        for env in (punch(seq=1), ahead, punch(seq=3)):
            publisher.send_env(env)
        wait_until(lambda: 3 in listener.seqs(), what="ack 3 past the refused seq 2")
        assert queries.count_events(sqlite_engine)[0] == 2
        time.sleep(REPEAT_AFTER_S)
        publisher.send_env(ahead)  # sent again: still refused, changes nothing
        publisher.send_env(punch(device="w02-face", seq=1))  # the sentinel
        wait_until(lambda: listener.seqs("w02-face") == [1], what="the sentinel's ack")
        assert listener.seqs()[-1] == 3
    finally:
        listener.close()
    (row,) = [r for r in queries.device_sequences(sqlite_engine) if r["device"] == DEVICE]
    assert (row["last_seq"], row["facts"], row["resets"], row["gaps_open"]) == (3, 2, 0, 0)
    assert len(queries.dead_letters(sqlite_engine, device=DEVICE)) == 2
