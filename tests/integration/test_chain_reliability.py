"""The whole chain under crashes: edge agent process -> broker -> hub ingest process -> database.

kill -9 the edge agent mid-stream, restart the broker mid-stream, kill -9 the hub mid-batch,
each several times, in one run; in the end every fact the device recorded is stored exactly once
(rule of the architecture: at-least-once on the wire, exactly-once in the records).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.events.tables import Event
from tests.edge.hubside import HALL, SIGN
from tests.support.broker import Broker
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
N = 1500


def spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start a Python module of this project as its own process, output to `log`."""
    out = open(log, "ab")  # noqa: SIM115 - handed to the child
    return subprocess.Popen(
        [sys.executable, "-m", *args], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
    )


def kill9(proc: subprocess.Popen[bytes]) -> None:
    """kill -9 and reap."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)


def stored(engine: Engine) -> tuple[int, int, int]:
    """(rows, distinct event ids, distinct seqs) of the test device's facts (no heartbeats)."""
    e = Event.__table__  # type: ignore[attr-defined]
    query = sa.select(
        sa.func.count(),
        sa.func.count(sa.distinct(e.c.event_id)),
        sa.func.count(sa.distinct(e.c.seq)),
    ).where(e.c.device == SIGN, e.c.type != "heartbeat")
    with engine.connect() as conn:
        rows, ids, seqs = conn.execute(query).one()
    return int(rows), int(ids), int(seqs)


def wait(pred: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    """Poll until pred() holds (every 0.05 s)."""
    wait_until(pred, timeout, what, step=0.05)


@pytest.mark.slow
def test_every_fact_stored_exactly_once_through_edge_broker_and_hub_crashes(
    sqlite_engine: Engine, broker: Broker, tmp_path: Path
) -> None:
    db_url = sqlite_engine.url.render_as_string(hide_password=False)
    seq_log, edge_dir = tmp_path / "emitted.log", tmp_path / "edge"
    hub_args = [
        "hub.ingest.run",
        "--db",
        db_url,
        "--broker",
        broker.url,
        "--client-id",
        "chain-hub",
        "--batch-size",
        "100",
        "--stats-every",
        "60",
    ]
    edge_args = [
        "tests.edge.emitter",
        "--broker",
        broker.url,
        "--data-dir",
        str(edge_dir),
        "--target",
        str(N),
        "--pause",
        "0.002",
        "--log",
        str(seq_log),
    ]

    def emitted() -> int:
        lines = seq_log.read_text().split() if seq_log.exists() else []
        return max(map(int, lines), default=0)

    def reached(target: int) -> bool:
        return emitted() >= target

    hub = spawn(hub_args, tmp_path / "hub.log")
    # the hub's persistent session must exist before the first fact, as it does in a hall
    wait(lambda: "ingest ready" in (tmp_path / "hub.log").read_text(), "hub subscribed", 60)
    edge = spawn(edge_args, tmp_path / "edge.log")
    chaos = ["edge", "hub", "broker", "edge", "hub", "broker"]
    try:
        for step, part in enumerate(chaos, 1):
            wait(partial(reached, step * N // (len(chaos) + 2)), f"progress {step}")
            if part == "edge":  # the Pi loses power mid-stream
                kill9(edge)
                edge = spawn(edge_args, tmp_path / "edge.log")
            elif part == "hub":  # the hub dies mid-batch
                kill9(hub)
                hub = spawn(hub_args, tmp_path / "hub.log")
            else:  # the broker is restarted (it saves its sessions on the way down)
                broker.restart()
        assert edge.wait(180) == 0, (tmp_path / "edge.log").read_text()[-2000:]
        assert emitted() >= N
        wait(lambda: stored(sqlite_engine)[1] >= N, "every fact stored", timeout=120)
        time.sleep(1.0)  # let any late duplicate arrive: it must not be stored twice
        rows, ids, seqs = stored(sqlite_engine)
        assert (rows, ids, seqs) == (N, N, N)
        e = Event.__table__  # type: ignore[attr-defined]
        with sqlite_engine.connect() as conn:
            lo, hi = conn.execute(
                sa.select(sa.func.min(e.c.seq), sa.func.max(e.c.seq)).where(
                    e.c.device == SIGN, e.c.hall == HALL, e.c.type != "heartbeat"
                )
            ).one()
        assert (lo, hi) == (1, N)  # seq 1..N, no gap, none twice
    finally:
        for proc in (edge, hub):
            if proc.poll() is None:
                kill9(proc)
