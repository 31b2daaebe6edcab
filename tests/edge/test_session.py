"""The device's MQTT session: its client id is hall-qualified, so halls can share a broker."""

from __future__ import annotations

import time
from pathlib import Path

from edge.session import Session
from tests.edge.hubside import agent_settings, wait_until
from tests.support.broker import Broker


def test_the_same_device_id_in_two_halls_keeps_two_sessions(broker: Broker, tmp_path: Path) -> None:
    connects = {"hall-a": 0, "hall-b": 0}

    def session(hall: str) -> Session:
        def ready() -> None:
            connects[hall] += 1

        return Session(
            hall,
            "w01-keypad",
            agent_settings(broker.url, tmp_path / hall),
            on_message=lambda _m: None,
            on_ready=ready,
            on_published=lambda _mid, _ok: None,
        )

    a, b = session("hall-a"), session("hall-b")
    assert a.client_id != b.client_id
    try:
        a.start()
        wait_until(lambda: a.ready, 10, "hall-a's keypad to connect")
        b.start()
        wait_until(lambda: b.ready, 10, "hall-b's keypad to connect")
        time.sleep(2.0)  # a shared client id would make the broker drop one, then the other
        assert a.ready and b.ready
        assert connects == {"hall-a": 1, "hall-b": 1}
    finally:
        a.stop()
        b.stop()
