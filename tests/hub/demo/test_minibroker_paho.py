"""The embedded demo broker against real paho 2.2 MQTT v5 clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

import hub.demo.broker as demo_broker
from hub.demo.broker import answers_mqtt, choose_broker
from hub.demo.minibroker import EmbeddedBroker
from tests.hub.demo.minibroker_clients import Peer, wait_until


@pytest.fixture
def mb() -> Iterator[EmbeddedBroker]:
    """A started embedded broker on a free port."""
    broker = EmbeddedBroker().start()
    yield broker
    broker.stop()


@pytest.fixture
def peers() -> Iterator[list[Peer]]:
    """Clients to close at the end of a test."""
    made: list[Peer] = []
    yield made
    for p in made:
        p.close()


def test_start_stop_port_and_url() -> None:
    broker = EmbeddedBroker().start()
    try:
        assert broker.port > 0 and broker.url == f"mqtt://127.0.0.1:{broker.port}"
        assert answers_mqtt("127.0.0.1", broker.port)
    finally:
        broker.stop()
        broker.stop()  # twice is fine
    assert not answers_mqtt("127.0.0.1", broker.port, timeout=0.5)


def test_pubsub_qos0_qos1_and_qos2_capped(mb: EmbeddedBroker, peers: list[Peer]) -> None:
    sub = Peer(mb.port)
    pub = Peer(mb.port)
    peers += [sub, pub]
    assert sub.subscribe("hk/+/d1/#", qos=2) == [1]  # granted min(requested, 1)
    assert sub.subscribe("other/x", qos=0) == [0]
    pub.publish("hk/t1/d1/evt", b"one", qos=1)
    pub.publish("hk/t1/d1", b"parent", qos=1)  # '#' matches the parent level
    pub.publish("hk/t1/d1/evt", b"zero", qos=0)
    pub.publish("other/x", b"capped", qos=1)  # delivered at the subscription's QoS 0
    pub.publish("hk/t1/d2/evt", b"not mine", qos=1)
    wait_until(lambda: len(sub.received()) == 4, what="4 messages")
    got = {bytes(m.payload): m.qos for m in sub.received()}
    assert got == {b"one": 1, b"parent": 1, b"zero": 0, b"capped": 0}
    assert all(not m.retain for m in sub.received())


def test_qos2_publish_is_refused_with_0x9b(mb: EmbeddedBroker, peers: list[Peer]) -> None:
    p = Peer(mb.port, loop=False)
    peers.append(p)
    p.client.publish("a", b"x", qos=2)
    wait_until(lambda: p.client.loop(0.05) is not None and p.disconnect_reasons, what="refusal")
    assert p.disconnect_reasons == [0x9B]


def test_retained_on_subscribe_and_cleared(mb: EmbeddedBroker, peers: list[Peer]) -> None:
    pub = Peer(mb.port)
    peers.append(pub)
    pub.publish("hk/t1/d1/cfg", b"v1", retain=True)
    pub.publish("hk/t1/d1/cfg", b"v2", retain=True)  # replaces v1
    pub.publish("hk/t1/d2/cfg", b"other", retain=True)
    first = Peer(mb.port)
    shared = Peer(mb.port)
    peers += [first, shared]
    first.subscribe("hk/t1/+/cfg")
    shared.subscribe("$share/g/hk/t1/+/cfg")  # retained messages are not sent to shared subs
    wait_until(lambda: len(first.received()) == 2, what="retained messages")
    assert sorted(first.payloads()) == [b"other", b"v2"]
    assert all(m.retain for m in first.received())
    pub.publish("hk/t1/d1/cfg", b"", retain=True)  # empty payload clears
    later = Peer(mb.port)
    peers.append(later)
    later.subscribe("hk/t1/+/cfg")
    pub.publish("hk/t1/marker/cfg", b"marker")
    wait_until(lambda: b"marker" in later.payloads(), what="marker")
    wait_until(lambda: b"marker" in shared.payloads(), what="marker on the shared subscription")
    assert later.payloads() == [b"other", b"marker"]
    assert shared.payloads() == [b"", b"marker"]  # the clearing publish is delivered live


def watch(port: int, topic: str, peers: list[Peer]) -> Peer:
    """A subscriber to `topic`."""
    w = Peer(port)
    peers.append(w)
    w.subscribe(topic)
    return w


def test_will_published_retained_when_the_socket_dies(
    mb: EmbeddedBroker, peers: list[Peer]
) -> None:
    watcher = watch(mb.port, "hk/t1/+/state", peers)
    dev = Peer(mb.port, "dev-a", will=("hk/t1/dev-a/state", b"offline"), loop=False)
    sock = dev.client.socket()
    assert sock is not None
    sock.close()  # no DISCONNECT: the broker sees the connection drop
    wait_until(lambda: watcher.payloads() == [b"offline"], what="the will")
    late = watch(mb.port, "hk/t1/dev-a/state", peers)
    wait_until(lambda: late.payloads() == [b"offline"], what="the retained will")
    assert late.received()[0].retain and late.received()[0].qos == 1


def test_will_published_on_keepalive_timeout(mb: EmbeddedBroker, peers: list[Peer]) -> None:
    watcher = watch(mb.port, "hk/t1/+/state", peers)
    dev = Peer(mb.port, "dev-k", keepalive=1, will=("hk/t1/dev-k/state", b"gone"), loop=False)
    peers.append(dev)  # it never loops again: no PINGREQ, so the broker drops it after 1.5 s
    wait_until(lambda: watcher.payloads() == [b"gone"], what="the will after keepalive x 1.5")


def test_no_will_after_a_normal_disconnect(mb: EmbeddedBroker, peers: list[Peer]) -> None:
    watcher = watch(mb.port, "hk/#", peers)
    dev = Peer(mb.port, "dev-n", will=("hk/t1/dev-n/state", b"offline"))
    dev.close()
    wait_until(lambda: not dev.client.is_connected(), what="disconnect")
    Peer(mb.port).publish("hk/marker", b"marker")
    wait_until(lambda: watcher.payloads() == [b"marker"], what="only the marker")


def test_persistent_session_gets_what_was_published_while_offline(
    mb: EmbeddedBroker, peers: list[Peer]
) -> None:
    hub = Peer(mb.port, "hub-p", session_expiry=300, clean_start=False)
    assert hub.session_present is False
    hub.subscribe("hk/+/+/evt")
    hub.close()
    # Until the broker has read the DISCONNECT, it still delivers to the closing client, whose
    # paho may read and acknowledge what arrives: those are delivered, not queued.
    wait_until(lambda: "hub-p" not in mb.connections, what="the broker to see hub-p leave")
    pub = Peer(mb.port)
    peers.append(pub)
    for i in range(5):
        pub.publish("hk/t1/d1/evt", b"%d" % i)
    pub.publish("hk/t1/d1/evt", b"q0 is not queued", qos=0)
    # QoS 0 is not waited for: a QoS 1 publish on the same connection is, and the broker reads
    # one connection's packets in order, so once it is acked the QoS 0 one has been routed (and
    # cannot reach `back` live, which made 6 messages of 5 on a loaded host).
    pub.publish("elsewhere/marker", b"after q0")
    back = Peer(mb.port, "hub-p", session_expiry=300, clean_start=False)  # no new SUBSCRIBE
    peers.append(back)
    assert back.session_present is True
    wait_until(lambda: len(back.received()) == 5, what="5 queued messages")
    assert back.payloads() == [b"0", b"1", b"2", b"3", b"4"]
    pub.publish("hk/t1/d1/evt", b"live")
    wait_until(lambda: back.payloads()[-1:] == [b"live"], what="live delivery")
    gone = Peer(mb.port, "hub-q", session_expiry=0, clean_start=False)
    gone.subscribe("x")
    gone.close()
    wait_until(lambda: not gone.client.is_connected())
    fresh = Peer(mb.port, "hub-q", session_expiry=0, clean_start=False)
    peers.append(fresh)
    assert fresh.session_present is False  # expiry 0: the session ended with the connection


def test_unacked_message_is_redelivered_after_reconnect(
    mb: EmbeddedBroker, peers: list[Peer]
) -> None:
    lazy = Peer(mb.port, "hub-m", manual_ack=True, session_expiry=300, clean_start=False)
    lazy.subscribe("hk/+/+/evt")
    pub = Peer(mb.port)
    peers.append(pub)
    pub.publish("hk/t1/d1/evt", b"fact")
    wait_until(lambda: lazy.payloads() == [b"fact"], what="first delivery")
    assert not lazy.received()[0].dup
    lazy.close()  # never acked
    again = Peer(mb.port, "hub-m", manual_ack=True, session_expiry=300, clean_start=False)
    peers.append(again)
    wait_until(lambda: again.payloads() == [b"fact"], what="redelivery")
    msg = again.received()[0]
    assert msg.dup and msg.qos == 1
    again.client.ack(msg.mid, msg.qos)
    pub.publish("hk/t1/d1/evt", b"next")
    wait_until(lambda: again.payloads() == [b"fact", b"next"], what="next")
    again.client.ack(again.received()[1].mid, 1)
    wait_until(lambda: not mb.state.sessions["hub-m"].inflight, what="both acked")
    again.close()
    third = Peer(mb.port, "hub-m", manual_ack=True, session_expiry=300, clean_start=False)
    peers.append(third)
    pub.publish("hk/t1/d1/evt", b"marker")
    wait_until(lambda: third.payloads() == [b"marker"], what="nothing but the marker")


def test_shared_subscription_splits_between_members(mb: EmbeddedBroker, peers: list[Peer]) -> None:
    a, b, plain, pub = Peer(mb.port), Peer(mb.port), Peer(mb.port), Peer(mb.port)
    peers += [a, b, plain, pub]
    for member in (a, b):
        assert member.subscribe("$share/ingest/hk/+/+/evt") == [1]
    plain.subscribe("hk/+/+/evt")
    sent = [b"%d" % i for i in range(20)]
    for payload in sent:
        pub.publish("hk/t1/d1/evt", payload)
    wait_until(lambda: len(a.received()) + len(b.received()) == 20, what="20 shared deliveries")
    wait_until(lambda: len(plain.received()) == 20, what="20 plain deliveries")
    assert len(a.received()) == len(b.received()) == 10  # round robin
    assert sorted(a.payloads() + b.payloads()) == sorted(sent)  # each to exactly one member


def test_same_client_id_takes_over(mb: EmbeddedBroker, peers: list[Peer]) -> None:
    old = Peer(mb.port, "dev-t", will=("hk/t1/dev-t/state", b"offline"), loop=False)
    new = Peer(mb.port, "dev-t")
    peers += [old, new]
    wait_until(lambda: old.client.loop(0.05) is not None and old.disconnect_reasons)
    assert old.disconnect_reasons == [0x8E]
    assert new.client.is_connected()


def test_choose_broker_falls_back_to_embedded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forced = choose_broker(tmp_path, "embedded")
    try:
        assert forced.embedded is not None and "not for production" in forced.kind
        assert answers_mqtt("127.0.0.1", forced.embedded.port)
    finally:
        forced.stop()
    machine = demo_broker.answers_mqtt
    monkeypatch.setattr(demo_broker, "start_private_mosquitto", lambda data_dir: None)
    monkeypatch.setattr(
        demo_broker, "answers_mqtt", lambda h, p, timeout=2.0: p != 1883 and machine(h, p, timeout)
    )
    fallback = choose_broker(tmp_path)  # no machine broker, mosquitto "not installed"
    try:
        assert fallback.embedded is not None and fallback.url == fallback.embedded.url
    finally:
        fallback.stop()


def test_mqtt_311_clients_are_refused(mb: EmbeddedBroker) -> None:
    codes: list[str] = []
    old = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id="old-timer",
        protocol=mqtt.MQTTv311,
    )
    old.on_connect = lambda c, u, flags, rc, p: codes.append(str(rc))
    old.connect("127.0.0.1", mb.port)
    wait_until(lambda: old.loop(0.05) is not None and codes, what="the refusal")
    assert "protocol version" in codes[0].lower()
    old.disconnect()
