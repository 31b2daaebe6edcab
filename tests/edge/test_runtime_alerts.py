"""Outbox pressure becomes device_fault events of every device of the agent (rule DEV-4)."""

from __future__ import annotations

import json
from pathlib import Path

from edge.agent import Agent, outbox_rows
from edge.outbox import Outbox
from edge.runtime import DeviceRuntime
from models.devices import KINDS
from models.events import AwaySign, EventType
from tests.edge.hubside import NODE, SIGN, SIGN_B, agent_settings, make_hall


def faults(rt: DeviceRuntime) -> list[tuple[str, bool, str]]:
    """(code, active, severity) of the device_fault events queued for a device."""
    out = []
    for row in rt.outbox.pending(rt.device, limit=1000):
        env = json.loads(row.payload)
        if env["type"] == "device_fault":
            out.append((env["body"]["code"], env["body"]["active"], env["body"]["severity"]))
    return out


def test_nearly_full_and_full_outbox_are_reported_and_cleared(tmp_path: Path) -> None:
    hall = make_hall()
    ob = Outbox(tmp_path / "o.db", capacity=10)
    settings = agent_settings("mqtt://127.0.0.1:1", tmp_path, outbox_capacity=10)
    a = DeviceRuntime(hall, hall.device(SIGN), settings, ob)
    b = DeviceRuntime(hall, hall.device(SIGN_B), settings, ob)
    for rt in (a, b):
        ob.add_listener(rt._outbox_alert)
    placed = (AwaySign(seat="w01-a"), EventType.AWAY_SIGN_PLACED)
    a.emit_many([placed] * 7)
    assert faults(a) == faults(b) == []
    a.emit(*placed)  # 8 of 10: each device of the agent says so once
    assert faults(a) == faults(b) == [("outbox_nearly_full", True, "warning")]
    a.emit_many([placed] * 5)  # past capacity: still stored, and a critical fault
    assert ("outbox_full", True, "critical") in faults(a)
    # and every heartbeat of every device of the agent says so until it clears (fleet page)
    assert a.health.has("outbox_full") and b.health.has("outbox_nearly_full")
    # 13 signs and 2 faults of its own: every fact was kept, past capacity too
    assert a.outbox.last_seq(SIGN) == 15 and ob.depth() > 10
    ob.delete(r.id for r in ob.pending(SIGN, limit=1000))
    assert set(faults(b)[-2:]) == {
        ("outbox_full", False, "critical"),
        ("outbox_nearly_full", False, "warning"),
    }
    assert a.health.problems() == b.health.problems() == []


def test_the_outbox_is_sized_for_seven_busy_days_of_the_nodes_devices(tmp_path: Path) -> None:
    hall = make_hall()
    devices = hall.node_devices(NODE)
    assert outbox_rows(devices, 7) == 7 * sum(KINDS[d.kind].busy_day_facts for d in devices)
    assert outbox_rows(devices[:1], 0.0001) == 10  # never below the settings' minimum
    with Agent(hall, NODE, agent_settings("mqtt://127.0.0.1:1", tmp_path / "a")) as agent:
        assert agent.outbox is not None and agent.outbox.capacity == outbox_rows(devices, 7)
    settings = agent_settings("mqtt://127.0.0.1:1", tmp_path / "b", outbox_capacity=500)
    with Agent(hall, NODE, settings) as agent:  # an explicit bound wins
        assert agent.outbox is not None and agent.outbox.capacity == 500
