"""The agent against a real private Mosquitto, with a raw paho QoS 1 subscriber as the hub."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.agent import Agent, AgentError
from edge.drivers import DRIVER_MODULES
from edge.drivers.away_sign import AwaySignDriver
from models.commands import DisplayText, ReloadConfig
from models.layout import Hall
from tests.edge.hubside import (
    NODE,
    SIGN,
    SIGN_B,
    HubStandIn,
    agent_settings,
    make_hall,
    retained_state,
    wait_until,
)
from tests.support.broker import Broker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hub(broker: Broker) -> Iterator[HubStandIn]:
    """The hub's stand-in, subscribed before any agent starts."""
    h = HubStandIn(broker.port).start()
    yield h
    h.stop()


@pytest.fixture
def agent(broker: Broker, hub: HubStandIn, tmp_path: Path) -> Iterator[Agent]:
    """An agent running the test hall's away sign `sign-a`."""
    a = Agent(make_hall(), NODE, agent_settings(broker.url, tmp_path / "edge"), devices=[SIGN])
    a.start()
    wait_until(lambda: a.runtime(SIGN).session.ready, 10, "the agent to connect")
    yield a
    a.stop()


def sign(agent: Agent, device: str = SIGN) -> AwaySignDriver:
    """The running away sign driver of a device."""
    driver = agent.runtime(device).driver
    assert isinstance(driver, AwaySignDriver)
    return driver


def test_all_devices_run_online_in_order_and_a_missing_driver_is_skipped(
    broker: Broker, hub: HubStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(DRIVER_MODULES, "rating_device", "edge.drivers.not_installed_here")
    settings = agent_settings(broker.url, tmp_path, heartbeat_s=0.2)
    with Agent(make_hall(), NODE, settings) as agent:
        assert sorted(agent.runtimes) == [SIGN, SIGN_B]
        assert "no driver for" in agent.skipped["rate-x"]
        for device in (SIGN, SIGN_B):
            wait_until(lambda d=device: hub.state_payloads(d) == [b"online"], 10, "online")
        assert retained_state(broker.port, SIGN_B) == b"online"
        for _ in range(20):
            sign(agent).simulate_place()
            sign(agent).simulate_remove()
        wait_until(lambda: len(hub.facts(SIGN)) >= 41, 10, "41 facts")
        facts = hub.facts(SIGN)
        assert [e.seq for e in facts] == list(range(1, 42))
        assert [e.type.value for e in facts[1:3]] == ["away_sign_placed", "away_sign_removed"]
        assert all(e.body.seat == "w01-a" for e in facts)  # type: ignore[union-attr]
        # a heartbeat repeats the latest fact seq (it is not counted itself)
        wait_until(lambda: any(b.seq == 41 for b in hub.heartbeats(SIGN)), 10, "a heartbeat")
        beat = hub.heartbeats(SIGN)[-1]
        # unset: 7 busy days of the node's three devices (issue 21: sized, not a flat number)
        assert beat.body.outbox_capacity == 7 * 3 * 5_000  # type: ignore[union-attr]
        assert beat.body.driver_status == "ok"  # type: ignore[union-attr]
        assert beat.seq == 41 and beat.body.uptime_s > 0  # type: ignore[union-attr]
    assert retained_state(broker.port, SIGN) == b"offline"  # a clean stop says so too


def test_lwt_offline_is_retained_after_kill_9(
    broker: Broker, hub: HubStandIn, tmp_path: Path
) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.edge.emitter",
            "--broker",
            broker.url,
            "--data-dir",
            str(tmp_path),
            "--target",
            "0",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
        wait_until(lambda: b"online" in hub.state_payloads(SIGN), 10, "online")
        assert retained_state(broker.port, SIGN) == b"online"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    wait_until(lambda: hub.state_payloads(SIGN)[-1:] == [b"offline"], 10, "the LWT")
    assert retained_state(broker.port, SIGN) == b"offline"


def test_resubscribes_after_a_broker_restart_that_lost_every_session(
    broker: Broker, hub: HubStandIn, agent: Agent
) -> None:
    broker.kill()
    for path in broker.workdir.glob("*.db"):
        path.unlink()  # no persisted session: the agent must subscribe again by itself
    broker.start()
    wait_until(lambda: hub.state_payloads(SIGN).count(b"online") >= 2, 15, "reconnect")
    wait_until(lambda: agent.runtime(SIGN).session.ready, 10, "resubscribed")
    command_id = hub.send_command(SIGN, ReloadConfig())
    wait_until(
        lambda: any(
            e.body.command_id == command_id  # type: ignore[union-attr]
            for e in hub.facts(SIGN, "command_result")
        ),
        10,
        "the result",
    )


def test_config_rejected_keeps_the_old_one_and_a_valid_one_is_applied(
    broker: Broker, hub: HubStandIn, agent: Agent, tmp_path: Path
) -> None:
    rt = agent.runtime(SIGN)
    hub.publish_config(SIGN, "away_sign", 1, {"backend": "simulated", "debounce_s": 99})
    wait_until(lambda: hub.facts(SIGN, "config_rejected"), 10, "the rejection")
    rejected = hub.facts(SIGN, "config_rejected")[0].body
    assert rejected.version == 1 and "debounce_s" in rejected.reason  # type: ignore[union-attr]
    assert rt.config_version is None and sign(agent).config.debounce_s == 0

    hub.publish_config(SIGN, "away_sign", 2, {"backend": "simulated", "debounce_s": 0, "pin": 5})
    wait_until(lambda: hub.facts(SIGN, "config_applied"), 10, "the applied config")
    assert hub.facts(SIGN, "config_applied")[0].body.version == 2  # type: ignore[union-attr]
    assert rt.config_version == 2 and sign(agent).config.pin == 5
    saved = json.loads((tmp_path / "edge" / "config" / f"{SIGN}.json").read_text())
    assert saved["version"] == 2

    hub.publish_config(SIGN, "away_sign", 3, {"backend": "simulated", "colour": "red"})
    wait_until(lambda: len(hub.facts(SIGN, "config_rejected")) == 2, 10, "second rejection")
    assert "colour" in hub.facts(SIGN, "config_rejected")[1].body.reason  # type: ignore[union-attr]
    assert rt.config_version == 2 and sign(agent).config.pin == 5

    agent.stop()  # a restart starts from the applied document, not the layout's settings
    again = Agent(
        make_hall(), NODE, agent_settings(broker.url, tmp_path / "edge"), devices=[SIGN]
    ).start()
    try:
        assert again.runtime(SIGN).config_version == 2 and sign(again).config.pin == 5
    finally:
        again.stop()


def test_a_config_with_unchanged_settings_is_applied_without_reopening_the_device(
    hub: HubStandIn, agent: Agent
) -> None:
    # The hub's first push usually repeats the settings the device started with: restarting the
    # driver would reopen its port and lose what arrives meanwhile (a key press, a frame).
    rt = agent.runtime(SIGN)
    button = sign(agent)._button  # the open GPIO input; a restart makes a new one
    hub.publish_config(SIGN, "away_sign", 1, rt.driver.config.model_dump(mode="json"))
    wait_until(lambda: hub.facts(SIGN, "config_applied"), 10, "the applied config")
    assert rt.config_version == 1
    assert sign(agent)._button is button  # the same open input: the driver was not restarted
    hub.publish_config(SIGN, "away_sign", 2, {"backend": "simulated", "debounce_s": 0, "pin": 6})
    wait_until(lambda: len(hub.facts(SIGN, "config_applied")) == 2, 10, "the changed config")
    assert sign(agent).config.pin == 6 and sign(agent)._button is not button  # reopened


def test_commands_get_a_result_and_bad_ones_never_crash(hub: HubStandIn, agent: Agent) -> None:
    refused = hub.send_command(SIGN, DisplayText(text="A012"))
    reload = hub.send_command(SIGN, ReloadConfig())
    hub.send_raw_command(SIGN, b"{not json")
    hub.send_raw_command(SIGN, b'{"id": "cmd-7", "type": "launch_rockets"}')
    wait_until(lambda: len(hub.facts(SIGN, "command_result")) >= 4, 10, "four results")
    results = {e.body.command_id: e.body for e in hub.facts(SIGN, "command_result")}  # type: ignore[union-attr]
    assert not results[refused].ok and "does not take display_text" in results[refused].detail
    assert results[reload].ok
    assert not results["unknown"].ok and "not JSON" in results["unknown"].detail
    assert not results["cmd-7"].ok and "bad command" in results["cmd-7"].detail
    sign(agent).simulate_place()  # the device still works
    wait_until(lambda: hub.facts(SIGN, "away_sign_placed"), 10, "a placed sign")


def test_two_agents_cannot_share_a_data_dir(broker: Broker, tmp_path: Path, agent: Agent) -> None:
    with pytest.raises(AgentError, match="another agent"):
        Agent(make_hall(), NODE, agent_settings(broker.url, tmp_path / "edge")).start()
    with pytest.raises(AgentError, match="not devices of node"):
        Agent(make_hall(), NODE, agent_settings(broker.url, tmp_path), devices=["nope"])


def test_cli_run_stops_cleanly_on_sigterm(broker: Broker, hub: HubStandIn, tmp_path: Path) -> None:
    import tomli_w

    hall_dir = tmp_path / "hall"
    hall_dir.mkdir()
    layout = make_hall().model_dump(mode="json", exclude_none=True)
    (hall_dir / "hall.toml").write_text(tomli_w.dumps(layout))
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "hallkeeper"),
            "edge",
            "run",
            "--hall",
            str(hall_dir),
            "--node",
            NODE,
            "--device",
            SIGN,
            "--broker",
            broker.url,
            "--data-dir",
            str(tmp_path / "edge"),
        ],
        cwd=ROOT,
    )
    try:
        wait_until(lambda: hub.facts(SIGN, "away_sign_removed"), 20, "the initial state")
        assert hub.state_payloads(SIGN) == [b"online"]
    finally:
        proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    wait_until(lambda: hub.state_payloads(SIGN)[-1:] == [b"offline"], 10, "offline")


def test_a_device_that_cannot_start_is_skipped_not_fatal(
    broker: Broker, hub: HubStandIn, tmp_path: Path
) -> None:
    layout = make_hall().model_dump()
    layout["devices"][1]["settings"] = {"backend": "real"}  # no GPIO on a test machine
    hall = Hall.model_validate(layout)
    with Agent(hall, NODE, agent_settings(broker.url, tmp_path)) as agent:
        assert SIGN in agent.runtimes and SIGN_B not in agent.runtimes  # rate-x runs too
        assert "pin factory" in agent.skipped[SIGN_B]
        wait_until(lambda: hub.facts(SIGN), 10, "the running sign's first fact")
