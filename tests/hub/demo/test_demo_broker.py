"""The demo's private mosquitto keeps its sessions: it can write its own folder (issue 21: run
as root it dropped to user `mosquitto` and wrote neither its persistence file nor its log)."""

from __future__ import annotations

import signal
from pathlib import Path

from hub.demo.broker import start_private_mosquitto
from tests.support.waiting import wait_until


def test_the_demo_broker_writes_its_log_and_persistence_file(tmp_path: Path) -> None:
    broker = start_private_mosquitto(tmp_path)
    assert broker is not None and broker.process is not None
    broker.process.send_signal(signal.SIGTERM)  # a clean stop saves the persistence file
    broker.process.wait(10)
    folder = tmp_path / "broker"
    wait_until(lambda: (folder / "mosquitto.db").exists(), 5, "the persistence file")
    assert (folder / "mosquitto.log").stat().st_size > 0
