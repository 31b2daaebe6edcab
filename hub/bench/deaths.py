"""Broker deaths and a database outage during a steady stream: every fact stored exactly once.

Each run is real processes: a private mosquitto that is killed with -9 (not stopped), edge
agents (hub.bench.delivery_edge, one process per device) and two hub ingest workers
(`python -m hub.ingest.run`, one MQTT v5 shared subscription) storing into one database.

- `broker_deaths`: the broker is killed mid-stream `cycles` times and started again after a
  short outage, with persistence off (it comes back empty: the hub's session and queue gone)
  or on (autosave every second: it comes back with a stale snapshot of them).
- `database_outage`: the workers reach their database through a link (hub.bench.tcpcut) cut
  for `outage_s` seconds mid-stream, then restored.

Both return per device the stored rows, distinct event ids and distinct seqs, which must all
equal the facts the device recorded, seq 1..N (`ok`). Used by the default tests (short runs),
the bench tests and `hallkeeper bench delivery` (10 cycles, a minute's outage).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hub.bench import MOSQUITTO, _wait_port, free_port
from hub.bench.delivery_edge import SIGNS

ROOT = Path(__file__).resolve().parents[2]
Progress = Callable[[str], None]
Agents = dict[str, tuple[subprocess.Popen[bytes], Path]]
"""Each device's edge process and the file where it records its durable seqs."""
Crash = Callable[[int], None]
"""kill -9 the i-th process of a group and start it again."""


class KillableBroker:
    """A private mosquitto on a free port that can be killed with -9 and started again."""

    def __init__(self, workdir: Path, *, persistence: bool) -> None:
        self.port = free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            f"persistence {'true' if persistence else 'false'}\n"
            f"persistence_location {workdir}/\n"
            "autosave_interval 1\n"
            "max_queued_messages 1000000\n"
            "max_inflight_messages 100\n"
            f"log_dest file {workdir / 'mosquitto.log'}\n"
            "log_type error\nlog_type warning\n"
            + ("user root\n" if os.geteuid() == 0 else "")  # else it cannot write workdir
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """mqtt://127.0.0.1:port"""
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> KillableBroker:
        """Start and wait until it listens."""
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_port(self.port, 10.0)
        return self

    def kill9(self) -> None:
        """kill -9: whatever it held only in memory is gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


def spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    """A Python module of this project as its own process, output appended to `log`."""
    out = open(log, "ab")  # noqa: SIM115 - handed to the child
    return subprocess.Popen(
        [sys.executable, "-m", *args], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
    )


def stop(proc: subprocess.Popen[bytes], *, kill: bool = False) -> None:
    """SIGTERM (or SIGKILL) and reap."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def wait_for(pred: Callable[[], bool], what: str, timeout: float) -> None:
    """Poll until pred() holds; TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.05)


def _logged(log: Path, text: str) -> bool:
    return text in log.read_text()


def _reached(agents: Agents, seq: int) -> bool:
    """Every edge process has recorded seq `seq` (or beyond) as durable."""
    return all(emitted(log) >= seq for _, log in agents.values())


def emitted(log: Path) -> int:
    """The highest seq an edge process recorded as durable."""
    lines = log.read_text().split() if log.exists() else []
    return max(map(int, lines), default=0)


@contextmanager
def hub_workers(work: Path, db_url: str, broker_url: str, count: int) -> Iterator[Crash]:
    """`count` ingest worker processes sharing one subscription; stopped on exit."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(i: int) -> subprocess.Popen[bytes]:
        args = ["hub.ingest.run", "--db", db_url, "--broker", broker_url, "--stats-every", "60"]
        args += ["--client-id", f"bench-hub-{i}", "--share-group", "hub", "--writer", "thread"]
        return spawn(args, work / f"hub-{i}.log")

    def crash(i: int) -> None:
        stop(procs[i], kill=True)  # mid-batch: nothing it had not committed was acked
        procs[i] = start(i)

    try:
        procs.extend(start(i) for i in range(count))
        for i in range(count):
            wait_for(partial(_logged, work / f"hub-{i}.log", "ingest ready"), "hub ready", 60)
        yield crash
    finally:
        for proc in procs:
            stop(proc)


@contextmanager
def edge_agents(
    work: Path, broker_url: str, devices: int, target: int
) -> Iterator[tuple[Agents, Crash]]:
    """One edge process per device, each emitting up to `target`; killed on exit if running."""
    running: Agents = {}

    def start(device: str) -> None:
        log = work / f"{device}.seqs"
        args = ["hub.bench.delivery_edge", "--broker", broker_url, "--device", device]
        args += ["--data-dir", str(work / f"edge-{device}"), "--target", str(target)]
        running[device] = (spawn([*args, "--log", str(log)], work / f"{device}.log"), log)

    def crash(i: int) -> None:
        device = SIGNS[i % devices]
        stop(running[device][0], kill=True)  # the Pi loses power mid-stream
        start(device)

    try:
        for device in SIGNS[:devices]:
            start(device)
        yield running, crash
    finally:
        for proc, _ in running.values():
            stop(proc, kill=True)


def prepare(db_url: str) -> None:
    """Bring the database's schema up to date before the workers start."""
    from hub.db import make_engine, migrate

    engine = make_engine(db_url)
    try:
        migrate(engine)
    finally:
        engine.dispose()


def stored(db_url: str, devices: int) -> dict[str, tuple[int, int, int, int, int]]:
    """Per device: (rows, distinct ids, distinct seqs, lowest seq, highest seq) of its facts."""
    from hub.db import make_engine
    from hub.events.tables import Event

    e = Event.__table__  # type: ignore[attr-defined]
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    e.c.device,
                    sa.func.count(),
                    sa.func.count(sa.distinct(e.c.event_id)),
                    sa.func.count(sa.distinct(e.c.seq)),
                    sa.func.min(e.c.seq),
                    sa.func.max(e.c.seq),
                )
                .where(e.c.type != "heartbeat", e.c.device.in_(SIGNS[:devices]))
                .group_by(e.c.device)
            ).all()
    finally:
        engine.dispose()
    return {r[0]: (int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows}


def recorded(work: Path, device: str) -> int:
    """The device's last fact seq, from its own outbox (a restarted agent adds its state fact)."""
    from edge.outbox import Outbox

    outbox = Outbox(work / f"edge-{device}" / "outbox-n1.sqlite3")
    try:
        return outbox.last_seq(device)
    finally:
        outbox.close()


def _verdict(work: Path, db_url: str, devices: int, started: float) -> dict[str, Any]:
    """Per device: seq 1..N stored, one row and one id each, N its own outbox's last seq."""
    per_device = stored(db_url, devices)
    want = {d: recorded(work, d) for d in SIGNS[:devices]}
    return {
        "ok": all(per_device.get(d) == (n, n, n, 1, n) for d, n in want.items()),
        "facts": want,
        "stored": {
            d: dict(zip(("rows", "ids", "seqs", "lo", "hi"), v, strict=True))
            for d, v in sorted(per_device.items())
        },
        "seconds": round(time.monotonic() - started, 1),
    }


def _finish(agents: Agents, timeout: float) -> None:
    """Wait until every edge process has emitted its target and seen it acknowledged."""
    for device, (proc, _) in agents.items():
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"{device} did not drain its outbox in {timeout:g}s") from None
        if code != 0:
            raise RuntimeError(f"{device}'s edge process exited with {code}")


def broker_deaths(
    work: Path,
    db_url: str,
    *,
    cycles: int,
    persistence: bool,
    kill: tuple[str, ...] = ("broker",),
    devices: int = 2,
    per_cycle: int = 150,
    outage_s: tuple[float, float] = (0.5, 3.0),
    seed: int = 21,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """kill -9 mid-stream `cycles` times, taking the parts of `kill` in turn ("broker", "hub":
    one of the two ingest workers, "edge": one device's agent); how each device's facts were
    stored. A killed broker is started again after a random outage, a hub or edge at once."""
    say = progress or (lambda _: None)
    rng = random.Random(seed)
    target = per_cycle * (cycles + 1)
    prepare(db_url)
    started = time.monotonic()
    broker = KillableBroker(work / "mosquitto", persistence=persistence).start()
    with ExitStack() as stack:
        stack.callback(broker.kill9)
        crash_hub = stack.enter_context(hub_workers(work, db_url, broker.url, 2))
        agents, crash_edge = stack.enter_context(edge_agents(work, broker.url, devices, target))
        for cycle in range(1, cycles + 1):
            goal = cycle * per_cycle
            wait_for(partial(_reached, agents, goal), f"the stream to reach seq {goal}", 120)
            part = kill[(cycle - 1) % len(kill)]
            if part == "broker":
                broker.kill9()
                time.sleep(rng.uniform(*outage_s))
                broker.start()
            elif part == "hub":
                crash_hub(cycle % 2)
            else:
                crash_edge(cycle)
            say(f"cycle {cycle}/{cycles}: {part} killed at seq ~{goal}")
        _finish(agents, 240)
    result = _verdict(work, db_url, devices, started)
    return {"cycles": cycles, "persistence": persistence, "killed": list(kill), **result}


def database_outage(
    work: Path,
    pg_url: str,
    *,
    outage_s: float,
    devices: int = 2,
    facts: int = 600,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Cut the workers' link to PostgreSQL for `outage_s` mid-stream; how facts were stored."""
    from sqlalchemy.engine import make_url

    from hub.bench.tcpcut import TcpCut

    say = progress or (lambda _: None)
    url = make_url(pg_url)
    link = TcpCut(url.host or "127.0.0.1", url.port or 5432)
    via_link = url.set(host="127.0.0.1", port=link.port).render_as_string(hide_password=False)
    prepare(pg_url)
    started = time.monotonic()
    broker = KillableBroker(work / "mosquitto", persistence=False).start()
    with ExitStack() as stack:
        stack.callback(link.close)
        stack.callback(broker.kill9)
        stack.enter_context(hub_workers(work, via_link, broker.url, 2))
        agents, _ = stack.enter_context(edge_agents(work, broker.url, devices, facts))
        wait_for(partial(_reached, agents, facts // 3), "a steady stream", 120)
        link.cut()
        say(f"database unreachable for {outage_s:g} s")
        time.sleep(outage_s)
        link.restore()
        say("database back")
        _finish(agents, 240 + outage_s)
    return {"outage_s": outage_s, **_verdict(work, pg_url, devices, started)}


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    """A new PostgreSQL database on the server of `admin_url`, dropped afterwards."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(admin_url).set(drivername="postgresql")
    name = f"hk_delivery_{uuid.uuid4().hex[:10]}"
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def long_runs(admin_url: str, *, progress: Progress | None = None) -> dict[str, Any]:
    """The issue's runs: 10 broker deaths with persistence off, then on; 30 deaths of the
    broker, a hub worker and an edge agent in turn (10 each); a minute's outage."""
    import tempfile

    out: dict[str, Any] = {}
    for persistence in (False, True):
        with tempfile.TemporaryDirectory() as tmp, scratch_database(admin_url) as db:
            run = broker_deaths(
                Path(tmp), db, cycles=10, persistence=persistence, progress=progress
            )
        out[f"deaths_persistence_{'on' if persistence else 'off'}"] = run
    with tempfile.TemporaryDirectory() as tmp, scratch_database(admin_url) as db:
        out["deaths_broker_hub_edge"] = broker_deaths(
            Path(tmp),
            db,
            cycles=30,
            persistence=True,
            kill=("broker", "hub", "edge"),
            per_cycle=60,
            progress=progress,
        )
    with tempfile.TemporaryDirectory() as tmp, scratch_database(admin_url) as db:
        out["database_outage"] = database_outage(
            Path(tmp), db, outage_s=60, facts=1500, progress=progress
        )
    return out
