"""The radar in the edge agent: simulated LD2410 frames -> presence facts on the broker."""

from __future__ import annotations

from pathlib import Path

from edge.agent import Agent
from edge.drivers.presence_radar import PresenceRadarDriver
from models.events import Presence
from models.layout import load_hall
from tests.edge.hubside import HubStandIn, agent_settings, wait_until
from tests.support.broker import Broker

DEMO = Path(__file__).resolve().parents[2] / "firmware_cfg" / "halls" / "demo"


def test_demo_radar_reports_presence_through_the_agent(broker: Broker, tmp_path: Path) -> None:
    hub = HubStandIn(broker.port).start()
    hall = load_hall(DEMO)
    settings = agent_settings(broker.url, tmp_path / "edge")
    try:
        with Agent(hall, "pi-w01", settings, devices=["w01-a-radar"]) as agent:
            driver = agent.runtime("w01-a-radar").driver
            assert isinstance(driver, PresenceRadarDriver)
            driver.simulate_present(True, distance_cm=70)
            wait_until(lambda: bool(hub.facts("w01-a-radar")), 15, "a presence fact")
            first = hub.facts("w01-a-radar")[0]
            assert isinstance(first.body, Presence)
            assert (first.body.seat, first.body.present, first.body.distance_cm) == (
                "w01-a",
                True,
                70,
            )
            assert driver.status() == "ok"
    finally:
        hub.stop()
