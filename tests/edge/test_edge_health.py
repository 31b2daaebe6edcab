"""Edge health is true (rule DEV-4): a full disk or a pulled serial adapter shows on the hub.

Real parts: a private mosquitto, the hub's ingest worker with the fleet projector on SQLite, an
edge agent whose data folder is a real 1 MiB tmpfs (filled up with a file, as an SD card fills
up), and a counter keypad on a pseudo-terminal reached through a symlink (as udev names a USB
adapter): closing the pty is the adapter pulled out, a new pty behind the link is it put back.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edge.agent import Agent
from edge.drivers.counter_keypad import KeypadPeer
from hub.events.tables import Event
from hub.fleet.projector import FleetProjector
from hub.fleet.tables import Alert, DeviceHealth
from hub.ingest.worker import IngestWorker
from models.layout import Hall, hall_from_dict
from tests.edge.hubside import agent_settings
from tests.support.broker import Broker
from tests.support.disk import fill, small_disk
from tests.support.waiting import wait_until

__all__ = ["small_disk"]  # the fixture, imported

HALL, NODE, KEYPAD = "t1", "n1", "w01-keypad"
HEARTBEAT_S = 1.0
EVENT = Event.__table__  # type: ignore[attr-defined]
HEALTH = DeviceHealth.__table__  # type: ignore[attr-defined]
ALERT = Alert.__table__  # type: ignore[attr-defined]


def keypad_hall(port: Path) -> Hall:
    """One window with a keypad on node n1, its serial line at `port` (a symlink)."""
    return hall_from_dict(
        {
            "id": HALL,
            "name": "test hall",
            "windows": [{"id": "w01", "number": 1, "seats": ["w01-a"]}],
            "devices": [
                {
                    "id": KEYPAD,
                    "kind": "counter_keypad",
                    "node": NODE,
                    "window": "w01",
                    "settings": {"backend": "real", "port": str(port), "address": 1},
                }
            ],
        }
    )


def health(engine: Engine) -> dict[str, Any]:
    """The keypad's device_health row as the hub stored it ({} before the first)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(HEALTH).where(HEALTH.c.device == KEYPAD)).mappings().first()
    if row is None:
        return {}
    out = dict(row)
    faults = out["faults"]
    out["faults"] = json.loads(faults) if isinstance(faults, str) else faults
    return out


def fault_codes(engine: Engine) -> set[str]:
    """Codes of the keypad's faults the hub holds now."""
    return {f["code"] for f in health(engine).get("faults") or []}


def open_alerts(engine: Engine) -> set[str]:
    """Kinds of the keypad's open alerts."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(ALERT.c.kind).where(ALERT.c.device == KEYPAD, ALERT.c.state == "open")
        )
        return {r[0] for r in rows}


def call_seqs(engine: Engine) -> list[int]:
    """Seqs of the keypad's call requests stored by the hub."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(EVENT.c.seq)
            .where(EVENT.c.device == KEYPAD, EVENT.c.type == "call_request")
            .order_by(EVENT.c.seq)
        )
        return [r[0] for r in rows]


def stored_seqs(engine: Engine) -> list[int]:
    """Seqs of every fact of the keypad the hub stored."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(EVENT.c.seq)
            .where(EVENT.c.device == KEYPAD, EVENT.c.type != "heartbeat")
            .order_by(EVENT.c.seq)
        )
        return [r[0] for r in rows]


class Line:
    """The keypad's serial adapter: a pty behind a symlink; pull() and plug() it."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.peer: KeypadPeer | None = None
        self.plug()

    def plug(self) -> KeypadPeer:
        """A new adapter, reached through the same path."""
        self.peer = KeypadPeer(address=1)
        tmp = self.link.with_suffix(".new")
        tmp.unlink(missing_ok=True)
        os.symlink(self.peer.port, tmp)
        os.replace(tmp, self.link)
        return self.peer

    def pull(self) -> None:
        """The adapter is pulled out: its pty is closed and the path leads nowhere."""
        assert self.peer is not None
        self.peer.close()
        self.peer = None
        self.link.unlink()

    def close(self) -> None:
        """Close what is plugged in."""
        if self.peer is not None:
            self.peer.close()


def test_full_disk_and_pulled_serial_adapter_show_on_the_hub_within_one_heartbeat(
    broker: Broker, sqlite_engine: Engine, small_disk: Path, tmp_path: Path
) -> None:
    # rule DEV-4
    line = Line(tmp_path / "ttyKEYPAD")
    hall = keypad_hall(line.link)
    worker = IngestWorker(
        sqlite_engine,
        broker.url,
        client_id="health-hub",
        batch_ms=10,
        projectors=[FleetProjector()],
    ).start()
    settings = agent_settings(broker.url, small_disk / "edge", heartbeat_s=HEARTBEAT_S)
    agent = Agent(hall, NODE, settings).start()
    try:
        assert agent.runtimes.keys() == {KEYPAD}, agent.skipped
        assert line.peer is not None
        line.peer.press("next")
        wait_until(lambda: call_seqs(sqlite_engine) == [1], 20, "the first key press stored")
        wait_until(lambda: health(sqlite_engine).get("driver_status") == "ok", 10, "health ok")

        # the SD card fills up: key presses go on until the outbox refuses one
        filler = fill(small_disk)
        runtime = agent.runtime(KEYPAD)
        presses = 1
        while not runtime.guard.broken and presses < 400:
            line.peer.press("next")
            presses += 1
            time.sleep(0.01)
        assert runtime.guard.broken, "the outbox never refused a write on a full disk"
        refused_at = time.monotonic()
        wait_until(
            lambda: "outbox_disk_full" in fault_codes(sqlite_engine),
            2 * HEARTBEAT_S + 1,
            "the disk-full fault on the hub",
        )
        within = time.monotonic() - refused_at
        row = health(sqlite_engine)
        assert row["driver_status"] == "fault"
        (note,) = [f for f in row["faults"] if f["code"] == "outbox_disk_full"]
        assert note["message"].startswith("disk full") and note["severity"] == "critical"
        assert "fault:outbox_disk_full" in open_alerts(sqlite_engine)
        print(f"disk full on the hub {within:.2f} s after the refused write")
        # the driver's reading thread did not die: presses while the disk is full are held
        for _ in range(3):
            line.peer.press("recall")
            presses += 1
        wait_until(lambda: runtime.guard.held >= 3, 5, "presses held in memory")

        # space again: the held facts are written (back-off retry), delivered, fault cleared
        filler.unlink()
        wait_until(
            lambda: len(call_seqs(sqlite_engine)) == presses, 30, "every key press delivered"
        )
        seqs = stored_seqs(sqlite_engine)
        assert seqs == list(range(1, len(seqs) + 1))  # nothing lost, nothing twice, in order
        wait_until(
            lambda: (
                "outbox_disk_full" not in fault_codes(sqlite_engine)
                and "fault:outbox_disk_full" not in open_alerts(sqlite_engine)
            ),
            3 * HEARTBEAT_S + 2,
            "the disk-full fault cleared on the hub",
        )
        assert not runtime.guard.broken and runtime.guard.lost == 0

        # the USB serial adapter is pulled out
        line.pull()
        pulled_at = time.monotonic()
        wait_until(
            lambda: (
                "keypad_port_error" in fault_codes(sqlite_engine)
                and health(sqlite_engine)["driver_status"] == "fault"
            ),
            HEARTBEAT_S + 2,
            "the serial-port fault on the hub",
        )
        print(f"serial port gone on the hub {time.monotonic() - pulled_at:.2f} s after")
        (note,) = [f for f in health(sqlite_engine)["faults"] if f["code"] == "keypad_port_error"]
        assert note["message"].startswith("serial port gone")
        assert "fault:keypad_port_error" in open_alerts(sqlite_engine)
        time.sleep(3)  # retried with back-off: raised once, not once a retry
        with sqlite_engine.connect() as conn:
            raised = conn.execute(
                sa.select(sa.func.count()).where(
                    EVENT.c.device == KEYPAD,
                    EVENT.c.type == "device_fault",
                    EVENT.c.body.contains('"keypad_port_error"'),
                )
            ).scalar_one()
        assert raised == 1

        # plugged back in: the same path reads again, the fault clears, presses arrive
        peer = line.plug()
        wait_until(
            lambda: "keypad_port_error" not in fault_codes(sqlite_engine),
            40,
            "the serial-port fault cleared",
        )
        peer.press("finish")
        wait_until(
            lambda: len(call_seqs(sqlite_engine)) == presses + 1, 10, "a press after the replug"
        )
    finally:
        agent.stop()
        worker.stop()
        line.close()
