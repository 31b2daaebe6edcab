"""`hallkeeper bench delivery`: what hub-acknowledged delivery costs (issue 21 point 7).

All on real parts: a private mosquitto, one hub ingest worker process (SQLite, the hub's
thread writer), an edge device runtime in this process with its outbox on disk.

- `acked_facts_s` vs `puback_facts_s` (same run, same broker and hub, alternating rounds):
  facts per second from one edge device, each fact one durable outbox commit
  (synchronous=FULL), until the hub has stored them all and the outbox holds none. The
  baseline removes a fact on the broker's PUBACK (the delivery before issue 21, which loses
  facts when the broker dies); `acked_ratio` = acked / puback.
- `outbox_mb_50k`: the outbox file for 50,000 buffered facts (away-sign facts, checkpointed).
- `replay_8h_s`: an 8-hour offline stretch of a busy device (a fact every 2 s: 14,400 facts,
  time-compressed: written to the outbox while the broker is down), replayed when it is back,
  until all are stored and acknowledged; `replay_puback_s` the same with PUBACK removal.
With `--deaths` also the broker-death (10 cycles, persistence off and on) and database-outage
runs of hub.bench.deaths.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge.outbox import Outbox
from edge.runtime import DeviceRuntime
from edge.sender import Sender
from hub.bench.deaths import KillableBroker, hub_workers, prepare, stored
from hub.bench.delivery_edge import SIGNS, bench_hall, settings_for
from models.events import AwaySign, EventType

OFFLINE_HOURS = 8
BUSY_FACT_EVERY_S = 2.0
"""A busy device during the offline stretch: a fact every 2 seconds."""


class PubackSender(Sender):
    """The delivery before issue 21, as a baseline only: a fact leaves on the broker's PUBACK."""

    def _take_pubacks(self) -> list[int]:
        done: list[int] = []
        while self._pubacks:
            mid, ok = self._pubacks.popleft()
            row = self._inflight.pop(mid, None)
            if row is not None and ok:
                done.append(row.id)
        if done:
            self.outbox.delete(done)
        return []


def runtime(work: Path, broker_url: str, device: str, *, puback: bool) -> DeviceRuntime:
    """A device runtime with its own outbox (not started)."""
    hall = bench_hall()
    settings = settings_for(broker_url, work / f"edge-{device}")
    outbox = Outbox(settings.data_dir / "outbox.sqlite3", capacity=1_000_000)
    rt = DeviceRuntime(hall, hall.device(device), settings, outbox)
    if puback:
        rt.sender = PubackSender(
            device, outbox, rt.session, inflight=settings.inflight, resend_after_s=2, resend_max_s=8
        )
    return rt


def _facts(rt: DeviceRuntime) -> int:
    return sum(1 for r in rt.outbox.pending(rt.device, limit=1_000_000) if r.fact)


def _until(pred: Callable[[], bool], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise TimeoutError("the delivery bench did not finish in time")
        time.sleep(0.02)


def _hub_has(db_url: str, device: str, n: int) -> bool:
    rows = stored(db_url, len(SIGNS)).get(device)
    return rows is not None and rows[1] >= n


def stream_rate(work: Path, broker: str, db: str, device: str, n: int, *, puback: bool) -> float:
    """Facts/s of one device emitting `n` facts one commit each, until stored and removed."""
    rt = runtime(work, broker, device, puback=puback).start()
    try:
        _until(lambda: rt.session.ready)
        before = rt.outbox.last_seq(device)
        started = time.perf_counter()
        for i in range(n):
            placed = i % 2 == 0
            kind = EventType.AWAY_SIGN_PLACED if placed else EventType.AWAY_SIGN_REMOVED
            rt.emit(AwaySign(seat="w01-a"), kind)
        _until(lambda: _facts(rt) == 0 and _hub_has(db, device, before + n))
        return n / (time.perf_counter() - started)
    finally:
        rt.stop()
        rt.outbox.close()


def fill(rt: DeviceRuntime, n: int) -> None:
    """Write `n` facts into the (offline) outbox, 500 per commit."""
    for start in range(0, n, 500):
        rt.emit_many([(AwaySign(seat="w01-a"), EventType.AWAY_SIGN_PLACED)] * min(500, n - start))


def outbox_size(work: Path, n: int) -> dict[str, Any]:
    """The outbox file for `n` buffered facts, after a checkpoint (WAL folded in), per fact and
    scaled to 50,000 (measured with 50,000 by default)."""
    rt = runtime(work / "size", "mqtt://127.0.0.1:1", SIGNS[0], puback=False)
    fill(rt, n)
    path = rt.outbox.path
    rt.outbox.close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    per_fact = size / n
    return {
        "outbox_mb_50k": round(per_fact * 50_000 / 1e6, 1),
        "outbox_bytes_per_fact": round(per_fact),
    }


def replay(work: Path, db: str, device: str, n: int, *, puback: bool) -> float:
    """Seconds to replay `n` facts written while the broker was down, once it is back."""
    broker = KillableBroker(work / f"mosq-{device}", persistence=False)
    rt = runtime(work, broker.url, device, puback=puback)
    fill(rt, n)  # the broker is not there: the stretch offline, compressed
    logs = work / f"hub-{device}"
    logs.mkdir(parents=True, exist_ok=True)
    with hub_workers(logs, db, broker.start().url, 1):
        started = time.perf_counter()
        rt.start()
        try:
            _until(lambda: _facts(rt) == 0 and _hub_has(db, device, n))
            return time.perf_counter() - started
        finally:
            rt.stop()
            rt.outbox.close()
            broker.kill9()


def run(
    facts: int = 1500, rounds: int = 2, *, size_facts: int = 50_000, work: Path | None = None
) -> dict[str, Any]:
    """Every figure of the note, measured in this run."""
    with tempfile.TemporaryDirectory(prefix="hk-delivery-") as tmp:
        work = work or Path(tmp)
        db = f"sqlite:///{work / 'hub.db'}"
        prepare(db)
        acked: list[float] = []
        puback: list[float] = []
        broker = KillableBroker(work / "mosq", persistence=False).start()
        try:
            (work / "hubs").mkdir()
            with hub_workers(work / "hubs", db, broker.url, 1):
                for _ in range(rounds):  # alternating: a noisy host hits both alike
                    acked.append(stream_rate(work, broker.url, db, SIGNS[0], facts, puback=False))
                    puback.append(stream_rate(work, broker.url, db, SIGNS[1], facts, puback=True))
        finally:
            broker.kill9()
        result: dict[str, Any] = {
            "acked_facts_s": round(statistics.median(acked)),
            "puback_facts_s": round(statistics.median(puback)),
        }
        result["acked_ratio"] = round(result["acked_facts_s"] / result["puback_facts_s"], 2)
        result.update(outbox_size(work, size_facts))
        n = int(OFFLINE_HOURS * 3600 / BUSY_FACT_EVERY_S)
        replay_acked = replay(work, db, SIGNS[2], n, puback=False)
        replay_puback = replay(work, db, SIGNS[3], n, puback=True)
        result.update(
            replay_facts=n,
            replay_8h_s=round(replay_acked, 1),
            replay_puback_s=round(replay_puback, 1),
            replay_ratio=round(replay_acked / replay_puback, 2),
        )
        return result
