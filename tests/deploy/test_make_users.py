"""deploy/mosquitto/make_users.py: users, ACL and secrets generated from a hall layout."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from models.layout import load_hall
from models.topics import Channel, build_topic
from tests.deploy.securebroker import MAKE_USERS, REPO, Peer, SecureBroker, new_tmp_root, wait_for

HALL = REPO / "firmware_cfg" / "halls" / "demo"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hk_make_users", MAKE_USERS)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


mu = _load()


def test_device_identity_acl_fixes_the_hall_and_uses_the_username():
    acl = mu.hall_acl(load_hall(HALL), "device", ["hub"])
    lines = [ln for ln in acl.splitlines() if ln and not ln.startswith("#")]
    assert lines[0] == "user hub"  # nothing granted to anonymous clients
    assert "pattern write hk/v1/demo/%u/evt" in lines
    assert "pattern read hk/v1/demo/%u/cmd" in lines
    assert "pattern read hk/v1/demo/%u/ack" in lines  # issue 21: its own acknowledgement
    assert not [ln for ln in lines if ln.startswith("pattern") and "/+/" in ln]
    assert not [
        ln for ln in lines if ln.startswith("pattern write") and ln.endswith(("cfg", "cmd", "ack"))
    ]


def test_node_identity_lists_exactly_each_nodes_devices():
    hall = load_hall(HALL)
    acl = mu.hall_acl(hall, "node", ["hub"])
    block = acl.split("user pi-w01\n")[1].split("\n\n")[0].splitlines()
    devices = {d.id for d in hall.node_devices("pi-w01")}
    assert {ln.split("/")[3] for ln in block} == devices
    assert len(block) == 6 * len(devices)  # evt, hb, state written; cfg, cmd, ack read
    assert "pattern" not in acl


def test_central_acl_has_one_bridge_user_per_hall():
    acl = mu.central_acl([load_hall(HALL)], ["hub"])
    assert "user bridge-demo\ntopic write hk/v1/demo/+/evt\n" in acl
    assert "topic read hk/v1/demo/+/cmd" in acl


def test_a_device_named_like_the_hub_is_refused():
    with pytest.raises(SystemExit, match="used twice"):
        mu.check_unique(["w01-led", "hub"], ["hub"])


def test_rerun_keeps_passwords_and_adds_new_users(tmp_path: Path):
    out = tmp_path / "out"
    assert mu.main(["--hall", str(HALL), "--out", str(out)]) == 0
    users = [ln.split(":")[0] for ln in (out / "passwd").read_text().splitlines()]
    assert len(users) == 1 + len(load_hall(HALL).devices)
    before = (out / "secrets" / "w01-led.password").read_text()
    assert (
        mu.main(
            ["--hall", str(HALL), "--out", str(out), "--hub-user", "hub", "--hub-user", "hub-2"]
        )
        == 0
    )
    assert (out / "secrets" / "w01-led.password").read_text() == before
    assert "hub-2:$7$" in (out / "passwd").read_text()  # hashed, never plain
    assert before.strip() not in (out / "passwd").read_text()
    assert (out / "nodes" / "pi-w01.users").read_text().split() == [
        d.id for d in load_hall(HALL).node_devices("pi-w01")
    ]


def test_no_plain_text_password_file_is_left_when_hashing_fails(tmp_path: Path):
    with pytest.raises(SystemExit, match="hashing"):
        mu.main(["--hall", str(HALL), "--out", str(tmp_path), "--mosquitto-passwd", "/bin/false"])
    assert not (tmp_path / "passwd.tmp").exists() and not (tmp_path / "passwd").exists()


@pytest.fixture(scope="module")
def node_broker() -> Iterator[SecureBroker]:
    """A broker generated with --identity node (one MQTT session per Pi)."""
    root = new_tmp_root()
    broker = (
        SecureBroker(
            root, HALL, hub_users=("hub",), identity="node", client_certs=False, mtls=False
        )
        .generate()
        .start()
    )
    yield broker
    broker.stop()
    shutil.rmtree(root, ignore_errors=True)


def test_node_user_writes_its_devices_only(node_broker: SecureBroker):
    sb = node_broker
    hub, pi = Peer(sb, "hub").start(), Peer(sb, "pi-w01").start()
    try:
        hub.subscribe("hk/v1/+/+/evt")
        assert pi.publish(build_topic("demo", "w02-led", Channel.EVT), b"forged").is_failure
        assert not pi.publish(build_topic("demo", "w01-led", Channel.EVT), b"own").is_failure
        wait_for(lambda: hub.payloads() == [b"own"], what="own evt at the hub")
    finally:
        hub.close()
        pi.close()
