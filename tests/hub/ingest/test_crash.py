"""Crashes: hub killed -9 mid-batch, broker restarted mid-stream; nothing lost, no doubles."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy.engine import Engine

from hub.events import queries
from hub.ingest.worker import IngestWorker
from tests.hub.ingest.conftest import evt_topic, punch, sign, wait_until
from tests.support.broker import Broker

ROOT = Path(__file__).resolve().parents[3]


class Stream:
    """A device-side publisher with a persistent session, sending `n` facts from 5 devices."""

    def __init__(self, broker: Broker, n: int, client_id: str = "crash-devices") -> None:
        self.envs = [
            (sign if k % 2 else punch)(device=f"w{k % 5:02d}-dev", seq=k // 5 + 1) for k in range(n)
        ]
        self.acked = 0
        self.lock = threading.Lock()
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
        )
        self.client.max_inflight_messages_set(50)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(0.2, 1)
        self.client.on_publish = self._on_publish
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect("127.0.0.1", broker.port, clean_start=False, properties=props)
        self.client.loop_start()
        self.sent = 0

    def _on_publish(self, *_args: object) -> None:
        with self.lock:
            self.acked += 1

    def publish(self, upto: int) -> None:
        """Publish envelopes up to index `upto` (QoS 1; paho resends unacked ones)."""
        while self.sent < upto:
            env = self.envs[self.sent]
            self.client.publish(evt_topic(env), env.to_json(), qos=1)
            self.sent += 1

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def _start_hub(db_url: str, broker: Broker, log: Path, writer: str) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "hub.ingest.run",
        "--db",
        db_url,
        "--broker",
        broker.url,
        "--client-id",
        "hub-crash",
        "--batch-size",
        "40",
        "--batch-ms",
        "30",
        "--stats-every",
        "1",
        "--writer",
        writer,
    ]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)


def test_hub_killed_mid_batch_loses_nothing_and_stores_nothing_twice(
    engine: Engine, db_url: str, broker: Broker, tmp_path: Path
) -> None:
    _kill_three_times(engine, db_url, broker, tmp_path, "thread")


def test_hub_with_a_writer_process_killed_loses_nothing(
    sqlite_engine: Engine, broker: Broker, tmp_path: Path
) -> None:
    """The same with --writer process: the orphaned writer exits when its pipe closes."""
    db_url = sqlite_engine.url.render_as_string(hide_password=False)
    _kill_three_times(sqlite_engine, db_url, broker, tmp_path, "process")


def _kill_three_times(
    engine: Engine, db_url: str, broker: Broker, tmp_path: Path, writer: str
) -> None:
    n = 1200
    log = tmp_path / "hub.log"
    hub = _start_hub(db_url, broker, log, writer)
    try:
        wait_until(lambda: "ingest ready" in log.read_text(errors="replace"), 30, "hub ready")
        stream = Stream(broker, n)
        stored_at_kill = []
        for k in range(1, 4):  # three kill -9 while facts are flowing
            stream.publish(k * n // 4)
            wait_until(
                lambda k=k: queries.count_events(engine)[0] >= (k - 1) * n // 4 + 20,
                30,
                f"progress before kill {k}",
            )
            _kill(hub)
            stored_at_kill.append(queries.count_events(engine)[0])
            hub = _start_hub(db_url, broker, log, writer)
        stream.publish(n)
        wait_until(lambda: stream.acked == n, 30, "broker acked every publish")
        wait_until(lambda: queries.count_events(engine)[0] >= n, 60, "every fact stored")
        stream.close()
        assert queries.count_events(engine) == (n, n)
        assert not queries.sequence_gaps(engine, open_only=True)  # redeliveries filled any gap
        assert sum(s["facts"] for s in queries.device_sequences(engine)) == n
        assert queries.dead_letters(engine) == []
        # at least one kill struck while published facts were still unstored (mid-stream)
        assert any(c < k * n // 4 for k, c in enumerate(stored_at_kill, 1)), stored_at_kill
    finally:
        _kill(hub)


def test_broker_restarted_mid_stream_loses_nothing(engine: Engine, broker: Broker) -> None:
    n = 600
    worker = IngestWorker(
        engine, broker.url, client_id="hub-restart", batch_size=40, batch_ms=20
    ).start()
    try:
        assert worker.wait_ready(10)
        stream = Stream(broker, n, client_id="restart-devices")
        stream.publish(n // 2)
        wait_until(lambda: queries.count_events(engine)[0] >= 50, 30, "some stored")
        broker.restart()  # graceful: mosquitto saves sessions and queued messages
        stream.publish(n)
        wait_until(lambda: stream.acked == n, 60, "broker acked every publish")
        wait_until(lambda: queries.count_events(engine)[0] >= n, 60, "every fact stored")
        stream.close()
        assert queries.count_events(engine) == (n, n)
        assert worker.stats.snapshot()["connects"] >= 2
    finally:
        worker.stop()
