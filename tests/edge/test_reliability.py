"""Nothing is lost: kill -9 of the agent, a broker restart, a long offline stretch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.agent import Agent
from edge.drivers.away_sign import AwaySignDriver
from edge.outbox import Outbox
from models.envelope import Envelope
from tests.edge.hubside import NODE, SIGN, HubStandIn, agent_settings, make_hall, wait_until
from tests.support.broker import Broker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hub(broker: Broker) -> Iterator[HubStandIn]:
    """The hub's stand-in with a persistent session."""
    h = HubStandIn(broker.port).start()
    yield h
    h.stop()


def check_exactly_once(facts: list[Envelope], last_seq: int) -> int:
    """After dedup by event id the facts are seq 1..last_seq, one id each; the duplicates."""
    by_id = {e.id: e.seq for e in facts}
    by_seq: dict[int, set[str]] = {}
    for event_id, seq in by_id.items():
        by_seq.setdefault(seq, set()).add(event_id)
    assert sorted(by_seq) == list(range(1, last_seq + 1))  # nothing lost
    assert all(len(ids) == 1 for ids in by_seq.values())  # a seq is one event, sent again
    return len(facts) - len(by_id)


def first_arrivals(facts: list[Envelope]) -> list[int]:
    """The seqs in the order each first arrived."""
    seen: set[str] = set()
    order = []
    for e in facts:
        if e.id not in seen:
            seen.add(e.id)
            order.append(e.seq)
    return order


def run_emitter(broker: Broker, data: Path, log: Path, target: int) -> subprocess.Popen[str]:
    """Start an agent process that toggles its away sign until seq `target`."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.edge.emitter",
            "--broker",
            broker.url,
            "--data-dir",
            str(data),
            "--target",
            str(target),
            "--log",
            str(log),
            "--pause",
            "0.002",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def logged(log: Path) -> list[int]:
    """Seqs the emitter recorded as emitted (emit() had returned)."""
    return [int(x) for x in log.read_text().split()] if log.exists() else []


def test_kill_9_mid_stream_loses_nothing(broker: Broker, hub: HubStandIn, tmp_path: Path) -> None:
    data, log, target = tmp_path / "edge", tmp_path / "emitted.log", 1200
    for _ in range(3):
        before = len(logged(log))
        proc = run_emitter(broker, data, log, target)
        wait_until(lambda b=before: len(logged(log)) >= b + 150, 30, "emitting")  # type: ignore[misc]
        os.kill(proc.pid, signal.SIGKILL)  # mid-stream: queued and in-flight events pending
        proc.wait()
    assert len(logged(log)) < target
    proc = run_emitter(broker, data, log, target)
    assert proc.stdout is not None
    assert proc.stdout.read().split()[-1] == "drained"
    assert proc.wait(30) == 0
    ob = Outbox(data / f"outbox-{NODE}.sqlite3")
    last = ob.last_seq(SIGN)
    ob.close()
    assert last >= target
    wait_until(lambda: len({e.id for e in hub.facts(SIGN)}) >= last, 30, "every event")
    duplicates = check_exactly_once(hub.facts(SIGN), last)
    assert set(logged(log)) <= {e.seq for e in hub.facts(SIGN)}
    print(f"kill -9 x3: {last} events, {duplicates} duplicates dropped by id")


def toggle(driver: AwaySignDriver, count: int, pace: threading.Event | None = None) -> None:
    """Place / remove the sign `count` times."""
    for _ in range(count):
        driver.simulate_remove() if driver.placed else driver.simulate_place()
        if pace is not None:
            pace.wait(0.001)


def test_broker_restart_mid_stream_loses_nothing(
    broker: Broker, hub: HubStandIn, tmp_path: Path
) -> None:
    settings = agent_settings(broker.url, tmp_path, outbox_sync="normal")
    with Agent(make_hall(), NODE, settings, devices=[SIGN]) as agent:
        rt = agent.runtime(SIGN)
        driver = rt.driver
        assert isinstance(driver, AwaySignDriver)
        worker = threading.Thread(target=toggle, args=(driver, 3000, threading.Event()))
        worker.start()
        wait_until(lambda: len(hub.facts(SIGN)) >= 500, 30, "a stream")
        broker.restart()
        worker.join()
        last = rt.outbox.last_seq(SIGN)
        wait_until(lambda: len({e.id for e in hub.facts(SIGN)}) >= last, 60, "every event")
    assert last == 3001
    check_exactly_once(hub.facts(SIGN), last)
    assert first_arrivals(hub.facts(SIGN)) == list(range(1, last + 1))  # in order


@pytest.mark.parametrize(
    "facts", [2_000, pytest.param(10_000, marks=pytest.mark.bench)], ids=lambda n: f"{n}-facts"
)
def test_long_offline_stretch_replays_in_order(
    broker: Broker, hub: HubStandIn, tmp_path: Path, facts: int
) -> None:
    """The default run replays 2,000 facts; the 10,000 of a long stretch run with -m bench."""
    settings = agent_settings(broker.url, tmp_path, outbox_sync="normal", heartbeat_s=0.01)
    with Agent(make_hall(), NODE, settings, devices=[SIGN]) as agent:
        rt = agent.runtime(SIGN)
        driver = rt.driver
        assert isinstance(driver, AwaySignDriver)
        wait_until(lambda: rt.session.ready, 10, "connected")
        broker.stop()  # the hall's network is down for a (time-compressed) long stretch
        toggle(driver, facts)
        assert rt.outbox.depth(SIGN) >= facts
        # heartbeats kept beating all along, yet only the latest one waits in the outbox
        assert sum(not row.fact for row in rt.outbox.pending(SIGN, limit=2 * facts)) <= 1
        broker.start()
        last = rt.outbox.last_seq(SIGN)
        wait_until(lambda: len({e.id for e in hub.facts(SIGN)}) >= last, 90, "the replay")
        wait_until(lambda: not any(r.fact for r in rt.outbox.pending(SIGN)), 10, "a drain")
    assert last == facts + 1
    check_exactly_once(hub.facts(SIGN), last)
    assert first_arrivals(hub.facts(SIGN)) == list(range(1, last + 1))
