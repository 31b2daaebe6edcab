"""The outbox: order, gap-free seqs that survive a reopen and a kill -9, the capacity policy."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edge.outbox import Alert, Outbox

ROOT = Path(__file__).resolve().parents[2]


def fact(ob: Outbox, device: str, text: str = "x") -> int:
    """Append a fact whose payload records its seq; return the seq."""
    row = ob.append(
        device, fact=True, build=lambda seq: (f"t/{device}", json.dumps([seq, text]).encode())
    )
    assert row is not None
    return row.seq


def beat(ob: Outbox, device: str) -> int | None:
    """Append a heartbeat; its seq (the latest fact seq), or None when refused."""
    row = ob.append(device, fact=False, build=lambda seq: (f"t/{device}/hb", b"hb%d" % seq))
    return None if row is None else row.seq


def test_seqs_count_facts_per_device_in_order(tmp_path: Path) -> None:
    ob = Outbox(tmp_path / "o.db")
    seqs = [(d, fact(ob, d)) for _ in range(5) for d in ("a", "b")]
    assert [s for d, s in seqs if d == "a"] == [1, 2, 3, 4, 5]
    assert [s for d, s in seqs if d == "b"] == [1, 2, 3, 4, 5]
    assert beat(ob, "a") == 5  # a heartbeat carries the latest fact seq and is not counted
    assert fact(ob, "a") == 6
    rows = ob.pending("a")
    assert [r.seq for r in rows if r.fact] == [1, 2, 3, 4, 5, 6]
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    assert [json.loads(r.payload)[0] for r in rows if r.fact] == [1, 2, 3, 4, 5, 6]
    assert ob.pending("a", after_id=rows[2].id, limit=2) == rows[3:5]


def test_seq_and_rows_survive_reopen_and_ids_never_go_back(tmp_path: Path) -> None:
    ob = Outbox(tmp_path / "o.db")
    for _ in range(3):
        fact(ob, "a")
    last_id = ob.pending("a")[-1].id
    ob.delete(r.id for r in ob.pending("a"))
    assert ob.depth() == 0
    ob.close()
    ob = Outbox(tmp_path / "o.db")
    assert ob.last_seq("a") == 3
    assert fact(ob, "a") == 4
    (row,) = ob.pending("a")
    assert row.id > last_id  # a sender's cursor never skips a new row after a full drain
    ob.close()
    ob = Outbox(tmp_path / "o.db")
    assert [r.seq for r in ob.pending("a")] == [4]
    assert ob.depth() == ob.depth("a") == 1


def test_failed_build_consumes_no_seq(tmp_path: Path) -> None:
    ob = Outbox(tmp_path / "o.db")
    fact(ob, "a")

    def broken(seq: int) -> tuple[str, bytes]:
        raise ValueError("oversized")

    with pytest.raises(ValueError):
        ob.append("a", fact=True, build=broken)
    assert fact(ob, "a") == 2
    assert ob.depth() == 2


def test_a_heartbeat_replaces_the_older_unsent_one(tmp_path: Path) -> None:
    ob = Outbox(tmp_path / "o.db")
    fact(ob, "a")
    for _ in range(50):  # a long offline stretch queues one heartbeat, not fifty
        beat(ob, "a")
    beat(ob, "b")
    assert [r.fact for r in ob.pending("a")] == [True, False]
    assert ob.depth() == 3


def test_capacity_drops_heartbeats_never_facts_and_alerts_once(tmp_path: Path) -> None:
    ob = Outbox(tmp_path / "o.db", capacity=10)
    alerts: list[Alert] = []
    ob.add_listener(alerts.append)
    for _ in range(7):
        fact(ob, "a")
    assert alerts == []
    beat(ob, "b")  # 8 of 10: nearly full
    assert [(a.code, a.active, a.severity) for a in alerts] == [
        ("outbox_nearly_full", True, "warning")
    ]
    fact(ob, "a")
    fact(ob, "a")  # 10 of 10
    assert len(alerts) == 1  # raised once
    assert beat(ob, "a") is None  # full: heartbeats are refused
    fact(ob, "a")  # full: the queued heartbeat of b goes to make room for the fact
    assert ob.depth("b") == 0 and ob.depth() == 10
    for _ in range(5):  # facts are never dropped, even past capacity
        fact(ob, "a")
    assert ob.depth() == 15
    assert [r.seq for r in ob.pending("a", limit=100)] == list(range(1, 16))
    assert [(a.code, a.active, a.severity) for a in alerts[1:]] == [
        ("outbox_full", True, "critical")
    ]
    rows = ob.pending("a", limit=100)
    ob.delete(r.id for r in rows[:4])  # 11 left: still over 80 %
    assert len(alerts) == 2
    ob.delete(r.id for r in rows[4:8])  # 7 left: below 80 %, full clears
    assert (alerts[-1].code, alerts[-1].active) == ("outbox_full", False)
    ob.delete([rows[8].id])  # 6 left: not below 60 % yet
    assert ob.alert_active("outbox_nearly_full")
    ob.delete([rows[9].id])  # 5 left: nearly-full clears
    assert (alerts[-1].code, alerts[-1].active) == ("outbox_nearly_full", False)
    assert len(alerts) == 4


def test_alert_state_survives_reopen(tmp_path: Path) -> None:
    ob = Outbox(tmp_path / "o.db", capacity=10)
    for _ in range(9):
        fact(ob, "a")
    ob.close()
    ob = Outbox(tmp_path / "o.db", capacity=10)
    alerts: list[Alert] = []
    ob.add_listener(alerts.append)
    fact(ob, "a")
    assert ob.alert_active("outbox_nearly_full") and alerts == []  # not raised a second time


WRITER = """
import sys, json
from edge.outbox import Outbox
ob = Outbox(sys.argv[1], fact_sync="full")
print("ready", flush=True)
while True:
    ob.append("a", fact=True, build=lambda seq: ("t", json.dumps(seq).encode()))
"""


def test_kill_9_while_writing_loses_no_committed_fact(tmp_path: Path) -> None:
    db = tmp_path / "o.db"
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        start = Outbox(db).last_seq("a")
        deadline = time.monotonic() + 20
        while Outbox(db).last_seq("a") < start + 50 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    ob = Outbox(db)
    rows = ob.pending("a", limit=1_000_000)
    assert ob.last_seq("a") >= 150
    assert [r.seq for r in rows] == list(range(1, ob.last_seq("a") + 1))  # no gap, no loss
    assert [json.loads(r.payload) for r in rows] == [r.seq for r in rows]


def test_append_facts_is_one_transaction(tmp_path: Path) -> None:
    ob = Outbox(tmp_path / "o.db")
    fact(ob, "a")
    rows = ob.append_facts("a", [lambda seq: ("t", b"%d" % seq)] * 3)
    assert [r.seq for r in rows] == [2, 3, 4]

    def broken(seq: int) -> tuple[str, bytes]:
        raise ValueError("no")

    with pytest.raises(ValueError):
        ob.append_facts("a", [lambda seq: ("t", b"ok"), broken])
    assert ob.last_seq("a") == 4 and ob.depth() == 4  # all or nothing
