"""deploy/cluster: a hall broker bridged to a central broker, both from the shipped configs."""

from __future__ import annotations

import os
import pwd
import re
import shutil
from collections.abc import Iterator
from itertools import count

import pytest

from models.topics import Channel, build_topic, subscription
from tests.deploy.securebroker import DEPLOY, REPO, Peer, SecureBroker, new_tmp_root, wait_for

HALL = REPO / "firmware_cfg" / "halls" / "demo"
BRIDGE_CONF = DEPLOY / "cluster" / "bridge-to-central.conf"
A = "w01-led"


def install_bridge(central: SecureBroker, hall: SecureBroker) -> None:
    """The shipped bridge file in the hall's conf.d, with the central address, secret and files.

    As on a real hall broker, the bridge's CA, certificate and key are copied next to it
    (/etc/mosquitto/central/) and owned by the broker's user.
    """
    files = hall.root / "central"
    files.mkdir()
    shutil.copy(central.pki / "ca.crt", files / "ca.crt")
    shutil.copy(central.pki / "clients" / "bridge-demo.crt", files / "bridge.crt")
    shutil.copy(central.pki / "clients" / "bridge-demo.key", files / "bridge.key")
    if os.geteuid() == 0:
        ids = pwd.getpwnam("mosquitto")
        for path in [files, *files.iterdir()]:
            os.chown(path, ids.pw_uid, ids.pw_gid)
    text = BRIDGE_CONF.read_text(encoding="utf-8")
    edits = [
        (r"^address .*$", f"address 127.0.0.1:{central.tls_port}"),
        (r"^remote_password .*$", f"remote_password {central.password('bridge-demo')}"),
    ]
    for pattern, new in edits:
        text, n = re.subn(pattern, new, text, flags=re.M)
        assert n == 1, pattern
    assert text.count("/etc/mosquitto/central/") == 3
    text = text.replace("/etc/mosquitto/central/", f"{files}/")
    (hall.confd / "bridge-to-central.conf").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[SecureBroker, SecureBroker]]:
    """A central broker (hub users, bridge-demo) and the demo hall's broker bridged to it."""
    root_c, root_h = new_tmp_root(), new_tmp_root()
    central = SecureBroker(root_c, HALL, hub_users=("hub",), role="central").generate().start()
    hall = SecureBroker(root_h, HALL, hub_users=("hub",), client_certs=False, mtls=False).generate()
    install_bridge(central, hall)
    hall.start()
    yield central, hall
    hall.stop()
    central.stop()
    shutil.rmtree(root_c, ignore_errors=True)
    shutil.rmtree(root_h, ignore_errors=True)


def test_facts_go_up_and_commands_come_down(cluster):
    central, hall = cluster
    hub = Peer(central, "hub", cert="own").start()  # the central broker runs mutual TLS
    device = Peer(hall, A).start()
    try:
        assert hub.accepted and device.accepted
        hub.subscribe(subscription(Channel.EVT, share_group="hub"))
        device.subscribe(build_topic("demo", A, Channel.CMD))
        n = count()
        # Poll by re-sending until the bridge is up: each try is a distinct message.
        wait_for(
            lambda: (
                device.publish(build_topic("demo", A, Channel.EVT), b"up%d" % next(n)) is not None
                and bool(hub.payloads())
            ),
            timeout=20,
            what="an evt bridged up to the central hub",
        )
        wait_for(
            lambda: (
                hub.publish(build_topic("demo", A, Channel.CMD), b"down%d" % next(n)) is not None
                and bool(device.payloads())
            ),
            timeout=20,
            what="a cmd bridged down to the device",
        )
        assert all(p.startswith(b"up") for p in hub.payloads())
        assert all(p.startswith(b"down") for p in device.payloads())
    finally:
        hub.close()
        device.close()


def test_central_bridge_user_is_confined_to_its_hall(cluster):
    central, _ = cluster
    hub = Peer(central, "hub", cert="own").start()
    rogue = Peer(central, "bridge-demo", cert="own", client_id="rogue").start()
    try:
        hub.subscribe(subscription(Channel.EVT))
        assert rogue.publish(build_topic("other-hall", "x", Channel.EVT), b"forged").is_failure
        assert not rogue.publish(build_topic("demo", A, Channel.EVT), b"own-hall").is_failure
        wait_for(lambda: b"own-hall" in hub.payloads(), what="own hall's evt at the hub")
        assert b"forged" not in hub.payloads()
    finally:
        rogue.close()
        hub.close()


def test_central_broker_refuses_a_client_without_certificate(cluster):
    central, _ = cluster
    p = Peer(central, "hub", cert=None).start()
    assert not p.accepted


def test_events_published_while_the_central_broker_is_down_arrive_after(cluster):
    central, hall = cluster
    hub = Peer(central, "hub", cert="own", session_s=600).start()  # persistent, like ingest
    device = Peer(hall, A).start()
    try:
        hub.subscribe(subscription(Channel.EVT))
        n = count()
        wait_for(  # the bridge is up and forwards
            lambda: (
                device.publish(build_topic("demo", A, Channel.EVT), b"before%d" % next(n))
                is not None
                and any(p.startswith(b"before") for p in hub.payloads())
            ),
            timeout=20,
            what="bridge up",
        )
        central.stop()  # the WAN link (or the centre) is down
        for i in range(5):  # the hall keeps taking facts: its broker acks them
            assert not device.publish(build_topic("demo", A, Channel.EVT), b"down%d" % i).is_failure
        central.start()  # the hub reconnects by itself; the bridge retries (restart_timeout)
        wait_for(
            lambda: {b"down%d" % i for i in range(5)} <= set(hub.payloads()),
            timeout=60,
            what="the facts queued at the hall, delivered after the outage",
        )
    finally:
        hub.close()
        device.close()
