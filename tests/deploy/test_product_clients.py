"""The product's own clients on the shipped broker config: edge agent on TLS, hub on loopback.

The edge agent connects as each of its devices (`{device}` user, password file, hall CA, its
certificate: mutual TLS), the
hub's ingest worker and command publisher as user `hub` on the loopback listener, exactly as
deploy/systemd/*.env.example configure them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from edge.agent import Agent
from edge.drivers.away_sign import AwaySignDriver
from edge.settings import AgentSettings
from hub.hass.bridge import HassBridge
from hub.hass.discovery import ROOT as HA_ROOT
from hub.hass.discovery import STATUS_TOPIC, state_topic
from hub.ingest.worker import IngestWorker
from hub.mqtt_out import MqttCommandSender
from models.broker import BrokerSettings
from models.commands import ReloadConfig
from models.layout import load_hall
from tests.deploy.conftest import DEMO_HALL
from tests.deploy.securebroker import Peer, SecureBroker, wait_for

SIGN = "w01-a-sign"


@pytest.fixture
def hub_url(sb: SecureBroker) -> str:
    """What HK_BROKER_URL + HK_BROKER_USERNAME/PASSWORD amount to for the co-located hub."""
    return f"mqtt://hub:{sb.password('hub')}@127.0.0.1:{sb.local_port}"


@pytest.fixture
def ingest(sqlite_engine: Engine, hub_url: str) -> Iterator[IngestWorker]:
    """The hub's real ingest worker (persistent session, ack after commit)."""
    worker = IngestWorker(sqlite_engine, hub_url, client_id="hk-hub-ingest").start()
    assert worker.wait_ready(10)
    yield worker
    worker.stop()


@pytest.fixture
def agent(sb: SecureBroker, tmp_path: Path) -> Iterator[Agent]:
    """The real edge agent of node pi-w01, running its away sign, over mutual TLS as that device."""
    settings = AgentSettings(
        broker_url=f"mqtts://127.0.0.1:{sb.tls_port}",
        tls_ca=sb.pki / "ca.crt",
        tls_cert=sb.pki / "clients" / "{device}.crt",  # mutual TLS, as shipped
        tls_key=sb.pki / "clients" / "{device}.key",
        username="{device}",
        password_file=sb.etc / "secrets" / "{device}.password",
        data_dir=tmp_path / "edge",
        heartbeat_s=60,
        reconnect_min_s=0.1,
        reconnect_max_s=0.5,
    )
    a = Agent(load_hall(DEMO_HALL), "pi-w01", settings, devices=[SIGN]).start()
    wait_for(lambda: a.runtime(SIGN).session.ready, 15, "the agent's TLS session")
    yield a
    a.stop()


def stored_types(engine: Engine) -> list[str]:
    """Event types stored for the sign, in sequence order."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT type FROM event WHERE device = :d ORDER BY seq"), {"d": SIGN}
        )
        return [r[0] for r in rows]


def test_agent_facts_reach_the_hub_database_and_hub_commands_reach_the_agent(
    sb: SecureBroker, sqlite_engine: Engine, ingest: IngestWorker, agent: Agent, hub_url: str
):
    driver = agent.runtime(SIGN).driver
    assert isinstance(driver, AwaySignDriver)
    driver.simulate_place()  # rule POST-2: the away sign is put on the counter
    wait_for(lambda: "away_sign_placed" in stored_types(sqlite_engine), 15, "the fact stored")
    sender = MqttCommandSender(hub_url, client_id="hk-hub-cmd").start()
    try:
        assert sender.connected
        sender.send("demo", SIGN, ReloadConfig())
        wait_for(
            lambda: "command_result" in stored_types(sqlite_engine),
            15,
            "the command's result stored",
        )
    finally:
        sender.stop()
    with sqlite_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM dead_letter")).scalar() == 0


def test_home_assistant_bridge_over_mutual_tls(sb: SecureBroker) -> None:
    # The hub's bridge reaches the hall broker's TLS listener as user hub with the hall CA and
    # its own certificate, as every hub client does (models/broker.py, HK_BROKER_TLS_*).
    hall = load_hall(DEMO_HALL)
    broker = BrokerSettings(
        url=f"mqtts://127.0.0.1:{sb.tls_port}",
        username="hub",
        password=SecretStr(sb.password("hub")),
        tls_ca=sb.pki / "ca.crt",
        tls_cert=sb.pki / "clients" / "hub.crt",
        tls_key=sb.pki / "clients" / "hub.key",
    )
    ha = Peer(sb, "homeassistant").start()  # Home Assistant's own login (make_users --ha-user)
    bridge = HassBridge(broker, "hk-hub", "homeassistant", [hall])
    try:
        assert ha.accepted, ha.error
        ha.subscribe("homeassistant/#")
        ha.subscribe(f"{HA_ROOT}/#")
        bridge.start()
        sign = state_topic("demo", SIGN, "away_sign")
        wait_for(lambda: STATUS_TOPIC in {m.topic for m in ha.messages}, 15, "bridge online")
        bridge.publish(sign, "ON")  # as its projector does when the sign is placed
        wait_for(lambda: ha.payloads(sign) == [b"ON"], 15, "the away sign's state")
        configs = {m.topic for m in ha.messages if m.topic.startswith("homeassistant/")}
        with_state = {"away_sign", "presence_radar"}  # an extra entity each
        assert len(configs) == sum(2 + (d.kind in with_state) for d in hall.devices)
    finally:
        bridge.stop()
        ha.close()
