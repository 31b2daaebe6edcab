"""The issue's "done when", on the device peers: the printer (a pty speaking ESC/POS) runs out
of paper; the kiosk still gives the number, shows it and says it aloud; the hall screen shows
the notice until paper is loaded. Real hub (queue area), private broker, edge agent."""

from __future__ import annotations

import uuid
import wave
from pathlib import Path

import pytest

from edge.agent import Agent
from edge.settings import AgentSettings
from hub.server import HubServer
from hub.settings import HubSettings
from models.commands import ShowTicket
from models.layout import load_hall
from tests.support.broker import Broker
from tests.support.waiting import wait_until

DEMO = Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo"
NOTICE = "取号机打印纸已用完：取号后请记下屏幕上的号码"


@pytest.mark.usefixtures("migrated_hub_db")  # the hub starts on a migrated copy
def test_out_of_paper_the_kiosk_still_gives_the_number_and_says_why(
    broker: Broker, tmp_path: Path
) -> None:
    # rule DEV-4
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        broker_url=broker.url,
        hall_dirs=[DEMO],
        host="127.0.0.1",
        port=0,
        secret_key="test-secret",
        auth_required=False,
        client_id=f"hk-k-{uuid.uuid4().hex[:6]}",
        batch_ms=5,
    )
    hub = HubServer(settings, area_modules=["hub.queue.area"]).start()
    edge = AgentSettings(
        broker_url=broker.url, data_dir=tmp_path / "edge", clock_synced=True, heartbeat_s=3600
    )
    devices = ["hall-kiosk", "hall-printer", "hall-screen"]
    pi = Agent(load_hall(DEMO), "pi-hall", edge, devices=devices).start()
    try:
        for rt in pi.runtimes.values():
            assert rt.session.wait_ready(20)
        kiosk = pi.runtime("hall-kiosk").driver
        printer = pi.runtime("hall-printer").driver
        screen = pi.runtime("hall-screen").driver
        printer.peer.paper = False  # the roll runs out

        kiosk.take("social")
        shown: ShowTicket = wait_until(lambda: kiosk.screen, what="the kiosk's answer")
        assert (shown.ticket, shown.printed, shown.fault) == ("A001", False, "printer_out_of_paper")
        assert shown.title == "您的号码 A001" and "A001" in shown.qr
        assert printer.peer.tickets == []  # nothing came out of the printer
        spoken = wait_until(lambda: list(kiosk.voice.done), what="the kiosk speaking")
        assert spoken[0].text == "取号纸已用完，您的号码是A001，请记下屏幕上的号码"
        with wave.open(str(spoken[0].wav)) as w:
            assert w.getnframes() > 0
        wait_until(lambda: screen.lines.get(1) == NOTICE, what="the hall screen's notice")

        printer.peer.paper = True  # paper loaded: the next ticket prints, the notice goes
        kiosk.take("social")
        wait_until(lambda: kiosk.screen.ticket == "A002", what="the second answer")
        assert kiosk.screen.printed and kiosk.screen.speech is None
        wait_until(lambda: printer.peer.tickets, what="a printed slip")
        assert printer.peer.tickets[0][1] == "A002"
        wait_until(lambda: screen.lines.get(1) == "", what="the notice cleared")
        assert len(kiosk.voice.done) == 1
    finally:
        pi.stop()
        hub.stop()
