"""The shipped broker config (deploy/mosquitto), with generated certs, users and ACL, for real.

Absence of a message is proved by order, not by waiting: MQTT keeps one publisher's messages in
order to one subscriber, so when the allowed sentinel sent after a forbidden message arrives,
the forbidden one would already have arrived.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models.topics import Channel, build_topic, subscription
from tests.deploy.securebroker import Peer, SecureBroker, wait_for

A, B = "w01-led", "w02-led"  # two devices of the demo hall, on different Pis


@pytest.fixture
def peers(sb: SecureBroker) -> Iterator[list[Peer]]:
    """Clients opened by a test, all closed after it (one session per user at a time)."""
    opened: list[Peer] = []
    yield opened
    for p in opened:
        p.close()


def connect(sb: SecureBroker, peers: list[Peer], user: str | None, **kw: object) -> Peer:
    """Open a client and remember to close it."""
    p = Peer(sb, user, **kw).start()  # type: ignore[arg-type]
    peers.append(p)
    return p


def evt(device: str) -> str:
    """A demo device's evt topic."""
    return build_topic("demo", device, Channel.EVT)


def test_tls_with_the_generated_certificates_and_password_connects(sb, peers):
    for user in ("hub", A):
        p = connect(sb, peers, user)
        assert p.accepted, (user, p.connack, p.error)


def test_anonymous_client_is_refused_on_both_listeners(sb, peers):
    assert not connect(sb, peers, None).accepted
    assert not connect(sb, peers, None, tls=False).accepted


def test_wrong_password_is_refused(sb, peers):
    p = connect(sb, peers, A, password="not-the-password")
    assert not p.accepted
    assert p.connack is not None and p.connack.is_failure
    assert not connect(sb, peers, "hub", password=sb.password(A), tls=False).accepted


def test_shipped_tls_is_mutual_it_needs_certificate_and_password(sb, peers):
    # As the edge agent connects: the hall CA (HK_EDGE_TLS_CA), its certificate and key
    # (HK_EDGE_TLS_CERT/_KEY) and its password.
    assert connect(sb, peers, A, cert="own").accepted
    no_cert = connect(sb, peers, A, cert=None)
    assert not no_cert.accepted and no_cert.error is not None  # the TLS handshake fails
    assert not connect(sb, peers, B, cert="own", password="guess").accepted
    assert not connect(sb, peers, None, cert="own").accepted


def test_plain_mqtt_on_the_tls_port_is_refused(sb, peers):
    p = Peer(sb, "hub", tls=False)
    p.port = sb.tls_port
    peers.append(p.start(timeout=5))
    assert not p.accepted


def test_local_listener_needs_the_same_credentials(sb, peers):
    assert connect(sb, peers, "hub", tls=False).accepted


def test_device_evt_reaches_the_hub(sb, peers):
    hub = connect(sb, peers, "hub")
    hub.subscribe(subscription(Channel.EVT))
    a = connect(sb, peers, A)
    assert not a.publish(evt(A), b"punch").is_failure
    wait_for(lambda: hub.payloads(evt(A)) == [b"punch"], what="A's evt at the hub")


def test_device_cannot_publish_as_another_device(sb, peers):
    hub = connect(sb, peers, "hub")
    for ch in (Channel.EVT, Channel.HB, Channel.STATE):
        hub.subscribe(subscription(ch))
    a = connect(sb, peers, A)
    forged = [build_topic("demo", B, ch) for ch in (Channel.EVT, Channel.HB, Channel.STATE)]
    forged.append(build_topic("other-hall", A, Channel.EVT))  # its own id in another hall
    for topic in forged:
        assert a.publish(topic, b"forged").is_failure, topic  # PUBACK: not authorized
    a.publish(evt(A), b"sentinel")
    wait_for(lambda: b"sentinel" in hub.payloads(), what="sentinel at the hub")
    assert b"forged" not in hub.payloads()


def test_device_cannot_write_its_own_cfg_or_cmd(sb, peers):
    a = connect(sb, peers, A)
    a.subscribe(build_topic("demo", A, Channel.CMD))
    for ch in (Channel.CFG, Channel.CMD):
        assert a.publish(build_topic("demo", A, ch), b"self-issued", retain=True).is_failure
    hub = connect(sb, peers, "hub")
    hub.publish(build_topic("demo", A, Channel.CMD), b"sentinel")
    wait_for(lambda: b"sentinel" in a.payloads(), what="sentinel cmd at A")
    assert b"self-issued" not in a.payloads()


def test_device_cannot_read_another_devices_cmd_or_cfg(sb, peers):
    a = connect(sb, peers, A)
    for topic in (
        build_topic("demo", B, Channel.CMD),
        build_topic("demo", B, Channel.CFG),
        subscription(Channel.CMD, hall="demo"),
        "hk/#",
        "#",
    ):
        a.subscribe(topic)  # granted or refused: either way nothing of B's may arrive
    a.subscribe(build_topic("demo", A, Channel.CMD))
    hub = connect(sb, peers, "hub")
    hub.publish(build_topic("demo", B, Channel.CFG), b"secret-cfg", retain=True)
    hub.publish(build_topic("demo", B, Channel.CMD), b"secret-cmd")
    hub.publish(build_topic("demo", A, Channel.CMD), b"sentinel")
    wait_for(lambda: b"sentinel" in a.payloads(), what="sentinel cmd at A")
    assert [m.topic for m in a.messages if f"/{B}/" in m.topic] == []
    assert not {b"secret-cfg", b"secret-cmd"} & set(a.payloads())


def test_hub_writes_cfg_and_cmd_and_the_device_receives_them(sb, peers):
    hub = connect(sb, peers, "hub")
    cfg, cmd = build_topic("demo", A, Channel.CFG), build_topic("demo", A, Channel.CMD)
    assert not hub.publish(cfg, b'{"version": 7}', retain=True).is_failure
    a = connect(sb, peers, A)
    a.subscribe(cfg)  # retained: arrives on subscribe
    a.subscribe(cmd)
    assert not hub.publish(cmd, b"display").is_failure
    wait_for(
        lambda: a.payloads(cfg) == [b'{"version": 7}'] and a.payloads(cmd) == [b"display"],
        what="cfg and cmd at A",
    )


def crash(p: Peer) -> None:
    """Drop the connection without DISCONNECT, like a device losing power: its will is sent."""
    p.client.loop_stop()
    sock = p.client.socket()
    assert sock is not None
    sock.close()


def test_device_cannot_leave_a_will_on_another_devices_state(sb, peers):
    hub = connect(sb, peers, "hub")
    hub.subscribe(subscription(Channel.STATE))
    forged = Peer(sb, A)
    forged.client.will_set(build_topic("demo", B, Channel.STATE), b"offline-forged", qos=1)
    assert forged.start().accepted  # Mosquitto 2.0 takes the connection and drops the will
    crash(forged)
    own = Peer(sb, A)  # same user: its CONNECT settles the first session (and its will) first
    own.client.will_set(build_topic("demo", A, Channel.STATE), b"offline-own", qos=1)
    assert own.start().accepted
    crash(own)
    wait_for(lambda: b"offline-own" in hub.payloads(), what="A's own will at the hub")
    assert b"offline-forged" not in hub.payloads()


def test_hub_cannot_publish_facts(sb, peers):
    hub = connect(sb, peers, "hub")
    assert hub.publish(evt(A), b"invented").is_failure


def test_hub_shared_subscription_splits_events_between_workers(sb, peers):
    workers = [connect(sb, peers, user) for user in ("hub", "hub-2")]
    for w in workers:
        w.subscribe(subscription(Channel.EVT, share_group="hub"))
    a = connect(sb, peers, A)
    sent = [f"e{i}".encode() for i in range(20)]
    for payload in sent:
        a.publish(evt(A), payload)
    got = lambda: [p for w in workers for p in w.payloads()]  # noqa: E731
    wait_for(lambda: len(got()) >= len(sent), what="all events at the workers")
    assert sorted(got()) == sorted(sent)  # each exactly once
    assert all(w.payloads() for w in workers)  # and both workers took a share


def test_another_devices_client_id_neither_reads_nor_drops_its_queued_commands(sb, peers):
    b = connect(sb, peers, B, client_id=B, session_s=300)
    b.subscribe(build_topic("demo", B, Channel.CMD))
    b.close()
    hub = connect(sb, peers, "hub")
    hub.publish(build_topic("demo", B, Channel.CMD), b"queued-for-b")  # waits in B's session
    intruder = connect(sb, peers, A, client_id=B, session_s=300)  # renamed to A by the broker
    assert intruder.accepted
    intruder.subscribe(build_topic("demo", A, Channel.CMD))
    hub.publish(build_topic("demo", A, Channel.CMD), b"sentinel")
    wait_for(lambda: b"sentinel" in intruder.payloads(), what="sentinel at the intruder")
    assert b"queued-for-b" not in intruder.payloads()
    b2 = connect(sb, peers, B, client_id=B, session_s=300)
    wait_for(lambda: b2.payloads() == [b"queued-for-b"], what="B's queued command kept for B")


def test_loopback_listener_lets_the_hub_open_several_sessions(sb, peers):
    ingest = connect(sb, peers, "hub", tls=False, client_id="hk-hub-ingest")
    sender = connect(sb, peers, "hub", tls=False, client_id="hk-hub-cmd")
    ingest.subscribe(subscription(Channel.EVT, share_group="hub"))
    sender.publish(build_topic("demo", A, Channel.CMD), b"x")
    a = connect(sb, peers, A)
    a.publish(evt(A), b"e")
    wait_for(lambda: ingest.payloads() == [b"e"], what="evt at the loopback hub session")
    assert ingest.disconnects == 0 and sender.disconnects == 0


def test_private_files_are_not_world_readable(sb):
    assert (sb.etc / "secrets").stat().st_mode & 0o077 == 0
    for key in [sb.etc / "server.key", *sb.etc.glob("secrets/*"), *sb.pki.glob("clients/*.key")]:
        assert key.stat().st_mode & 0o077 == 0, key


def test_mutual_tls_device_still_confined_by_the_acl(sb, peers):
    hub = connect(sb, peers, "hub", cert="own")
    hub.subscribe(subscription(Channel.EVT))
    a = connect(sb, peers, A, cert="own")
    assert a.publish(evt(B), b"forged").is_failure
    a.publish(evt(A), b"sentinel")
    wait_for(lambda: b"sentinel" in hub.payloads(), what="sentinel at the hub")
    assert b"forged" not in hub.payloads()


def test_device_reads_only_its_own_acknowledgement_and_cannot_forge_it(sb, peers):
    """Issue 21: the hub's retained acknowledgement decides what leaves a device's outbox; a
    device reads its own, never another's, and writes none (not even its own)."""
    hub = connect(sb, peers, "hub")
    ack_a, ack_b = build_topic("demo", A, Channel.ACK), build_topic("demo", B, Channel.ACK)
    assert not hub.publish(ack_b, b'{"v":1,"seq":9}', retain=True).is_failure
    a = connect(sb, peers, A)
    assert a.publish(ack_a, b'{"v":1,"seq":999}', retain=True).is_failure  # not authorized
    assert a.publish(ack_b, b'{"v":1,"seq":0}', retain=True).is_failure
    for topic in (ack_b, subscription(Channel.ACK, hall="demo"), "hk/#"):
        a.subscribe(topic)  # granted or refused: nothing of B's may arrive
    a.subscribe(ack_a)
    assert not hub.publish(ack_a, b'{"v":1,"seq":7}', retain=True).is_failure
    wait_for(lambda: a.payloads(ack_a), what="A's own acknowledgement")
    assert set(a.payloads(ack_a)) == {b'{"v":1,"seq":7}'}
    assert [m.topic for m in a.messages if f"/{B}/" in m.topic] == []
    b = connect(sb, peers, B)
    b.subscribe(ack_b)  # retained: the hub's figure, not A's forgeries
    wait_for(lambda: b.payloads(ack_b) == [b'{"v":1,"seq":9}'], what="B's own acknowledgement")
    for topic in (ack_a, ack_b):  # leave no retained message to the other tests
        hub.publish(topic, b"", retain=True)
