"""Hub-acknowledged delivery (issue 21 point 1): a fact leaves the outbox only when the hub's
retained acknowledgement covers it; PUBACK only paces the sending; after a reconnect, or when
the acknowledgement stalls, what is not covered is sent again, in order. Real mosquitto.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from edge.agent import Agent
from edge.drivers.away_sign import AwaySignDriver
from edge.runtime import DeviceRuntime
from models.ack import StoredUpTo
from models.envelope import Envelope
from models.topics import Channel, build_topic
from tests.edge.hubside import HALL, NODE, SIGN, HubStandIn, agent_settings, make_hall, wait_until
from tests.edge.test_reliability import check_exactly_once, first_arrivals, toggle
from tests.support.broker import Broker


def raw_client(broker: Broker) -> mqtt.Client:
    """A plain client that can write anything anywhere (the test broker has no ACL)."""
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id="forger",
        protocol=mqtt.MQTTv5,
    )
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    return client


def facts_left(rt: DeviceRuntime) -> list[int]:
    """The seqs of the device's facts still in the outbox."""
    return [r.seq for r in rt.outbox.pending(rt.device, limit=100_000) if r.fact]


@pytest.fixture
def agent(broker: Broker, tmp_path: Path) -> Iterator[Agent]:
    """One agent running the away sign, quick to re-send in tests."""
    settings = agent_settings(
        broker.url, tmp_path, outbox_sync="normal", resend_after_s=1.0, resend_max_s=2.0
    )
    with Agent(make_hall(), NODE, settings, devices=[SIGN]) as running:
        wait_until(lambda: running.runtime(SIGN).session.ready, 10, "connected")
        yield running


def sign(agent: Agent) -> tuple[DeviceRuntime, AwaySignDriver]:
    """The away sign's runtime and its simulated driver."""
    rt = agent.runtime(SIGN)
    assert isinstance(rt.driver, AwaySignDriver)
    return rt, rt.driver


def test_a_fact_the_broker_took_stays_until_the_hub_acknowledges_it(
    broker: Broker, agent: Agent
) -> None:
    hub = HubStandIn(broker.port, acks=False).start()
    try:
        rt, driver = sign(agent)
        toggle(driver, 4)  # its state at start is seq 1
        wait_until(lambda: len(hub.facts(SIGN)) >= 5, 10, "five facts at the hub")
        wait_until(lambda: rt.sender.resends >= 1, 10, "a re-send: no acknowledgement came")
        assert facts_left(rt) == [1, 2, 3, 4, 5]  # PUBACKed, even sent twice: still kept
        forger = raw_client(broker)
        ack = build_topic(HALL, SIGN, Channel.ACK)
        forger.publish(ack, StoredUpTo(seq=3).to_json(), qos=1, retain=True).wait_for_publish(5)
        wait_until(lambda: facts_left(rt) == [4, 5], 10, "1..3 covered")
        forger.publish(ack, StoredUpTo(seq=5).to_json(), qos=1, retain=True).wait_for_publish(5)
        wait_until(lambda: facts_left(rt) == [], 10, "all covered")
        forger.loop_stop()
        forger.disconnect()
    finally:
        hub.stop()


def test_malformed_lower_and_foreign_acknowledgements_remove_nothing(
    broker: Broker, agent: Agent
) -> None:
    """A garbled ack, one below what is covered, one beyond the device's numbering (a wiped
    outbox hearing the hub's old figure), an empty retained one: nothing leaves, nothing dies."""
    rt, driver = sign(agent)
    toggle(driver, 3)  # its state at start is seq 1
    wait_until(lambda: len(facts_left(rt)) == 4, 10, "four facts queued")
    forger = raw_client(broker)
    ack = build_topic(HALL, SIGN, Channel.ACK)
    for payload in (b"{", b'{"v":1,"seq":-1}', b'{"v":1,"seq":2,"x":1}', b"", b"[]"):
        forger.publish(ack, payload, qos=1, retain=True).wait_for_publish(5)
    forger.publish(ack, StoredUpTo(seq=99).to_json(), qos=1, retain=True).wait_for_publish(5)
    forger.publish(ack, StoredUpTo(seq=1).to_json(), qos=1).wait_for_publish(5)
    wait_until(lambda: facts_left(rt) == [2, 3, 4], 10, "1 covered, the rest refused")
    forger.publish(ack, StoredUpTo(seq=0).to_json(), qos=1).wait_for_publish(5)  # lower
    toggle(driver, 1)
    wait_until(lambda: facts_left(rt) == [2, 3, 4, 5], 10, "a new fact, the old ones kept")
    assert sum(t.is_alive() for t in rt._threads) == 2  # sender and inbound still run
    forger.loop_stop()
    forger.disconnect()


@pytest.mark.parametrize("persistence", [False, True])
def test_broker_kill_9_mid_stream_then_the_hub_back_last_loses_nothing(
    tmp_path: Path, persistence: bool
) -> None:
    """The broker dies with kill -9 mid-stream; the device reconnects before the hub and sends
    its backlog to a broker with no subscriber (persistence off: the hub's session is gone);
    PUBACK no longer deletes, so the re-send after the stall brings every fact, in order."""
    # persistence on: the hub's session saved every second, so the broker comes back with a
    # snapshot of it; off: it comes back empty
    broker = Broker(tmp_path / "mosq", persistence=persistence, autosave_s=1).start()
    hubs = [HubStandIn(broker.port).start()]
    settings = agent_settings(
        broker.url, tmp_path / "edge", outbox_sync="normal", resend_after_s=1.0
    )

    def arrived() -> list[Envelope]:
        return [e for h in hubs for e in h.facts(SIGN)]

    try:
        with Agent(make_hall(), NODE, settings, devices=[SIGN]) as agent:
            rt, driver = sign(agent)
            worker = threading.Thread(target=toggle, args=(driver, 1500, threading.Event()))
            worker.start()
            wait_until(lambda: len(arrived()) >= 300, 30, "a stream")
            hubs[0].stop()
            broker.kill()
            broker.start()  # the device reconnects first (its back-off is shorter)
            wait_until(lambda: rt.session.connection >= 2, 10, "the device back")
            worker.join()
            hubs.append(HubStandIn(broker.port))
            hubs[1].seqs = hubs[0].seqs  # the hub's database: what it stored before
            hubs[1].start()
            last = rt.outbox.last_seq(SIGN)
            wait_until(lambda: len({e.id for e in arrived()}) >= last, 60, "every fact")
            wait_until(lambda: facts_left(rt) == [], 20, "the outbox drained")
        assert last == 1501
        check_exactly_once(arrived(), last)
        # in order up to the kill; the second hub may subscribe in the middle of a re-send,
        # then the rest comes with the next one (the hub fills the gap it saw)
        before_kill = first_arrivals(hubs[0].facts(SIGN))
        assert before_kill == list(range(1, len(before_kill) + 1))
    finally:
        for hub in hubs:
            hub.stop()
        broker.kill()
