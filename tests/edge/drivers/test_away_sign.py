"""The away sign through a gpiozero MockFactory pin into the real runtime's outbox (rule POST-2)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from edge.drivers.away_sign import AwaySignConfig, AwaySignDriver
from edge.outbox import Outbox
from edge.runtime import DeviceRuntime
from tests.edge.hubside import SIGN, agent_settings, make_hall, wait_until


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[DeviceRuntime]:
    """A device runtime whose driver runs (no broker: events stay in the outbox)."""
    hall = make_hall(debounce_s=0.0)
    ob = Outbox(tmp_path / "o.db")
    rt = DeviceRuntime(hall, hall.device(SIGN), agent_settings("mqtt://127.0.0.1:1", tmp_path), ob)
    yield rt
    rt.driver.stop()
    ob.close()


def events(rt: DeviceRuntime) -> list[tuple[int, str, str]]:
    """(seq, type, seat) of the device's queued facts."""
    out = []
    for row in rt.outbox.pending(rt.device, limit=1000):
        env = json.loads(row.payload)
        out.append((env["seq"], env["type"], env["body"].get("seat")))
    return out


def test_placed_and_removed_are_reported_once_each(runtime: DeviceRuntime) -> None:
    # rule POST-2: putting the sign on the counter and taking it back are both facts
    driver = runtime.driver
    assert isinstance(driver, AwaySignDriver)
    driver.start()
    assert events(runtime) == [(1, "away_sign_removed", "w01-a")]  # the state at start
    driver.simulate_place()
    driver.simulate_place()  # no change, no event
    driver.simulate_remove()
    assert events(runtime)[1:] == [
        (2, "away_sign_placed", "w01-a"),
        (3, "away_sign_removed", "w01-a"),
    ]
    assert driver.mock_pin.state is True  # pull-up: a removed sign leaves the pin high


def test_a_bouncing_switch_counts_once_after_it_settles(runtime: DeviceRuntime) -> None:
    # rule POST-2: contact bounce of the sign's switch is not a series of away periods
    driver = runtime.driver
    assert isinstance(driver, AwaySignDriver)
    driver.config = AwaySignConfig(debounce_s=0.05)
    driver.start()
    for _ in range(5):
        driver.simulate_place()
        driver.simulate_remove()
    driver.simulate_place()
    wait_until(lambda: len(events(runtime)) == 2, 5, "the settled state")
    assert [t for _, t, _ in events(runtime)] == ["away_sign_removed", "away_sign_placed"]


def test_state_survives_a_config_change(runtime: DeviceRuntime) -> None:
    driver = runtime.driver
    assert isinstance(driver, AwaySignDriver)
    driver.start()
    driver.simulate_place()
    driver.apply_config(
        AwaySignConfig(pin=22, seat="w01-b", debounce_s=0)
    )  # new pin: now not pressed
    assert [(t, s) for _, t, s in events(runtime)] == [
        ("away_sign_removed", "w01-a"),
        ("away_sign_placed", "w01-a"),
        ("away_sign_removed", "w01-b"),
    ]
    driver.apply_config(
        AwaySignConfig(pin=22, seat="w01-b", debounce_s=0)
    )  # same state: nothing new
    assert len(events(runtime)) == 3


def test_pull_down_wiring(runtime: DeviceRuntime) -> None:
    driver = runtime.driver
    assert isinstance(driver, AwaySignDriver)
    driver.config = AwaySignConfig(pull="down", debounce_s=0)
    driver.start()
    driver.simulate_place()
    assert driver.mock_pin.state is True  # pulled down: a placed sign drives it high
    assert events(runtime)[-1][1] == "away_sign_placed"


def test_settings_are_checked() -> None:
    with pytest.raises(ValidationError, match="active_high"):
        AwaySignConfig(pull="off")
    with pytest.raises(ValidationError, match="debounce_s"):
        AwaySignConfig(debounce_s=10)
    with pytest.raises(ValidationError, match="colour"):
        AwaySignConfig.model_validate({"colour": "red"})
    assert AwaySignConfig(pull="off", active_high=True).active_high is True
