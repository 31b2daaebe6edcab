"""Scale-out: ingest worker processes on one MQTT v5 shared subscription, against PostgreSQL.

Two `python -m hub.ingest.run --share-group hub` processes (separate client ids, persistent
sessions) take `$share/hub/hk/v1/+/+/evt`; a publisher sends N QoS 1 events. The test proves:

- the events split between the workers (each worker's own counters, read from its log);
- after one worker is `kill -9`'d mid-stream and started again with the SAME client id,
  every one of the N events is stored exactly once.

Mosquitto 2.0's behaviour, which the restart relies on: a message of a shared subscription is
given to one member session (round robin) and stays with that session. Messages in flight to
the killed worker (delivered, not yet acknowledged -- the hub acks only after its commit) and
the messages mosquitto keeps routing to the dead member's persistent session while it is away
are NOT handed to the surviving members; they wait in that session and are delivered when a
client with the same id reconnects. A worker that never comes back keeps its share until the
session expires. So a killed ingest worker must be restarted with its client id (systemd
`Restart=always` does this); the redelivered copies of messages it had already committed
are dropped by the unique event id (counted as duplicates).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa

from hub.bench.ingest import device_payload
from hub.db import make_engine
from models.broker import BrokerSettings
from models.topics import Channel, build_topic
from tests.support.broker import Broker
from tests.support.waiting import wait_until as wait_for

ROOT = Path(__file__).resolve().parents[2]
N_EVENTS = 3000
DEVICES = 30
STATS_RE = re.compile(r"ingest (?:stats|[\w-]+ stopped): (\{.*\})")


@pytest.fixture
def fresh_pg(pg_migrated_url: str) -> str:
    """A new, migrated PostgreSQL database (a copy of the migrated template)."""
    return pg_migrated_url


class WorkerProc:
    """One ingest worker process; its log is a file we read its counters from."""

    def __init__(self, client_id: str, db: str, broker: str, log: Path) -> None:
        self.client_id, self.db, self.broker, self.log = client_id, db, broker, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProc:
        """Start the process (log appended) and wait until it is subscribed."""
        offset = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "hub.ingest.run",
                    "--db",
                    self.db,
                    "--broker",
                    self.broker,
                    "--client-id",
                    self.client_id,
                    "--share-group",
                    "hub",
                    "--batch-size",
                    "100",
                    "--batch-ms",
                    "20",
                    "--stats-every",
                    "0.2",
                ],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        wait_for(lambda: "ingest ready" in self.text(offset), 60, f"{self.client_id} ready")
        return self

    def text(self, offset: int = 0) -> str:
        """The log written since byte `offset`."""
        with open(self.log, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")

    def last_stats(self) -> dict[str, float]:
        """The newest counters the worker logged (periodic or on stop)."""
        found = STATS_RE.findall(self.text())
        return json.loads(found[-1].replace("'", '"')) if found else {}

    def kill(self) -> None:
        """kill -9."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> dict[str, float]:
        """SIGTERM, wait; the counters logged on the way out."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
        assert "stopped:" in self.text(), self.text()[-2000:]
        return self.last_stats()


class Publisher:
    """N QoS 1 events from DEVICES devices of hall `scale`, in a thread; ids kept."""

    def __init__(self, url: str, n: int) -> None:
        broker = BrokerSettings.of(url)
        host, port = broker.host, broker.port
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id="scale-publisher",
            protocol=mqtt.MQTTv5,
        )
        self.client.max_inflight_messages_set(50)
        self.client.connect(host, port)
        self.client.loop_start()
        self.n = n
        self.ids: list[str] = []
        self.acked = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        seqs = [0] * DEVICES
        infos = []
        for i in range(self.n):
            k = i % DEVICES
            seqs[k] += 1
            device = f"dev-{k:03d}"
            payload = device_payload("scale", device, k, seqs[k])
            self.ids.append(json.loads(payload)["id"])
            infos.append(
                self.client.publish(build_topic("scale", device, Channel.EVT), payload, qos=1)
            )
            if i % 100 == 99:  # a stream of about 3 s, not a burst: the kill lands mid-stream
                time.sleep(0.1)  # (the workers store faster than it comes)
        for info in infos:
            info.wait_for_publish(60)
        self.acked.set()

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def stored(url: str) -> tuple[int, int, set[str]]:
    """(rows, distinct ids, ids) of the event table."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ids = [r[0] for r in conn.execute(sa.text("SELECT event_id FROM event"))]
    finally:
        engine.dispose()
    return len(ids), len(set(ids)), set(ids)


def count(url: str) -> int:
    """Rows in the event table."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM event")).scalar_one())
    finally:
        engine.dispose()


def test_workers_split_and_lose_nothing_when_one_is_killed(
    broker: Broker, fresh_pg: str, tmp_path: Path
) -> None:
    """Two workers share the stream; one is kill -9'd and restarted; all N stored once."""
    a = WorkerProc("hk-ingest-a", fresh_pg, broker.url, tmp_path / "a.log").start()
    b = WorkerProc("hk-ingest-b", fresh_pg, broker.url, tmp_path / "b.log").start()
    pub = Publisher(broker.url, N_EVENTS)
    try:
        pub.thread.start()
        # Both take a real share before the kill (the broker round-robins the group).
        wait_for(
            lambda: (
                a.last_stats().get("stored", 0) >= N_EVENTS // 10
                and b.last_stats().get("stored", 0) >= N_EVENTS // 10
            ),
            90,
            "both workers to store a share",
        )
        a_before = a.last_stats()
        a.kill()  # mid-stream: A had messages in flight, unacknowledged
        assert not pub.acked.is_set() or count(fresh_pg) < N_EVENTS
        a.start()  # same client id: its persistent session hands back what it held
        wait_for(pub.acked.is_set, 120, "the publisher's PUBACKs")
        wait_for(lambda: count(fresh_pg) >= N_EVENTS, 120, "all events stored")
        a_after, b_final = a.stop(), b.stop()
    finally:
        pub.close()
        for w in (a, b):
            if w.proc is not None and w.proc.poll() is None:
                w.proc.kill()
    rows, distinct, ids = stored(fresh_pg)
    assert rows == distinct == N_EVENTS
    assert ids == set(pub.ids)  # none lost, none invented
    # The split: each worker stored a non-trivial share (A before its kill; B over the run).
    assert a_before["stored"] >= N_EVENTS // 10
    assert b_final["stored"] >= N_EVENTS // 10
    # Everything stored was stored by one of them; redelivered copies were dropped by id.
    assert a_after["connects"] >= 1 and b_final["dead_letters"] == 0
    print(
        f"\nA before kill: {a_before['stored']:.0f} stored; A after restart: "
        f"{a_after['stored']:.0f} stored, {a_after['duplicates']:.0f} duplicates dropped; "
        f"B: {b_final['stored']:.0f} stored, {b_final['duplicates']:.0f} duplicates"
    )


def test_workers_split_a_stream_evenly(broker: Broker, fresh_pg: str, tmp_path: Path) -> None:
    """Without failures the two workers' stored counters add up to N and each holds a share."""
    a = WorkerProc("hk-ingest-c", fresh_pg, broker.url, tmp_path / "c.log").start()
    b = WorkerProc("hk-ingest-d", fresh_pg, broker.url, tmp_path / "d.log").start()
    n = 1000
    pub = Publisher(broker.url, n)
    try:
        pub.thread.start()
        wait_for(pub.acked.is_set, 120, "the publisher's PUBACKs")
        wait_for(lambda: count(fresh_pg) >= n, 120, "all events stored")
        sa_, sb = a.stop(), b.stop()
    finally:
        pub.close()
        for w in (a, b):
            if w.proc is not None and w.proc.poll() is None:
                w.proc.kill()
    assert count(fresh_pg) == n
    assert sa_["stored"] + sb["stored"] == n
    assert sa_["duplicates"] == sb["duplicates"] == 0
    assert min(sa_["stored"], sb["stored"]) >= n // 5
