"""Run a simulated day: broker, hub (HubServer on the simulated clock), device processes."""

from __future__ import annotations

import logging
import multiprocessing as mp
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hub.simulate.clock import SimClock
from hub.simulate.devices import device_process
from hub.simulate.layout import make_hall
from hub.simulate.plan import DAY_S
from hub.simulate.report import (
    Stored,
    fact_log_head,
    lost,
    not_delivered,
    parked_facts,
    read_stored,
    stored_facts,
)

logger = logging.getLogger(__name__)

HUB_LAG_REAL_S = 30.0
"""The hub's clock trails the devices' by this many real seconds plus one ingest batch
(see SimClock). The queue refuses a key press its clock judges more than 2 simulated minutes
old (a replay from an offline keypad); at 600x that is 0.2 real seconds, and on a busy
machine a key press takes up to ~17 real seconds from keypad to queue (measured), so one
refused "finish" would leave a window serving for the rest of the day. The price: the hub
stamps queue changes (ticket issued, called, finished) that much earlier than the devices."""
HUB_LAG_MAX_S = 4 * 3600.0
"""...but at most 4 simulated hours, so the hub's day (from 03:50) is the devices' day."""


STALL_S = 60.0
"""The run ends early only if ingest makes no progress (no batch, no message) this long."""
CATCH_UP_S = 120.0
"""How long the durable projectors may take to apply every stored fact before the derived
counts are read (they are read only once caught up; else the run says so)."""
DEVICES_PER_PROCESS = 150
"""Devices one device process runs when --processes is auto: each holds an MQTT socket and
paho's wake-up pair, a serial device a pty's two ends, about 6 file descriptors, and paho's
loop uses select(), which fails past descriptor 1,023."""
SELECT_FD_LIMIT = 1024


class SimulationError(RuntimeError):
    """The run could not be carried out as asked (devices that cannot connect, ...)."""


@dataclass(frozen=True, slots=True)
class SimOptions:
    """What to simulate and against what."""

    halls: int = 20
    windows: int = 4
    speed: float = 600.0
    hours: float = DAY_S / 3600
    broker: str | None = None
    db: str | None = None
    processes: int = 0  # 0: one per 5 halls, at most 4
    seed: int = 1
    workdir: Path | None = None
    batch_ms: int = 1000  # long batches: each touched window-day is re-judged once per batch
    batch_size: int = 1000
    duty: bool = True  # staff, roster, duty chiefs, a sick A and a substitute (hub.simulate.duty)
    connect_s: float = 120.0  # how long the devices may take to connect before the run fails


@dataclass(slots=True)
class SimResult:
    """The figures of a run."""

    halls: int
    devices: int = 0
    connected: int = 0
    processes: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)
    stored: Stored = field(default_factory=Stored)
    play_s: float = 0.0
    drain_s: float = 0.0
    left: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    duty: dict[str, int] = field(default_factory=dict)
    caught_up: bool = True
    """The durable projectors had applied every stored fact when the counts were read."""

    @property
    def sent_total(self) -> int:
        """Facts the devices recorded."""
        return sum(self.sent.values())

    @property
    def outbox_left(self) -> int:
        """Facts still in the devices' outboxes when they stopped: not delivered (yet)."""
        return sum(self.left.values())

    @property
    def lost(self) -> int:
        """Facts that left a device (recorded, not still in its outbox) but were not stored."""
        return lost(self.sent, self.left, self.stored)

    @property
    def not_delivered(self) -> int:
        """Facts recorded and not stored by the hub: left in outboxes, or lost."""
        return not_delivered(self.sent, self.stored)

    def problems(self) -> list[str]:
        """What makes this run's figures short of a whole day delivered (empty: none)."""
        out = list(self.errors)
        if self.connected < self.devices:
            out.append(f"only {self.connected} of {self.devices} devices connected")
        if self.not_delivered:
            out.append(
                f"{self.not_delivered} of {self.sent_total} facts not delivered "
                f"({self.outbox_left} still in outboxes, {self.lost} lost)"
            )
        if not self.caught_up:
            out.append("the projectors had not applied every fact: derived counts are short")
        return out

    @property
    def rate(self) -> float:
        """Stored facts per real second, from the start of the day to the last one stored."""
        return self.stored.facts / max(1e-9, self.play_s + self.drain_s)


class _HubClock:
    """The hub's clock: real time until the day starts, then the trailing simulated clock."""

    def __init__(self) -> None:
        self.clock: SimClock | None = None

    def __call__(self) -> datetime:
        from hub.fleet.projector import utc_now

        return utc_now() if self.clock is None else self.clock.now()


@contextmanager
def _broker(url: str | None, workdir: Path) -> Iterator[str]:
    if url:
        yield url
        return
    from hub.bench import private_mosquitto

    with private_mosquitto(workdir / "broker", max_inflight=100) as private:
        yield private


EVENING_S = 3 * 3600.0
"""The plan's actions run up to this long past the working day (hub.simulate.plan)."""


def day_start(
    tz: str = "Asia/Shanghai", until_s: float = DAY_S, now: datetime | None = None
) -> datetime:
    """07:50 of the latest day in the hall's zone whose simulated part is already over.

    Device times are then never ahead of the hub's real clock, which refuses facts more than
    `max_clock_ahead_s` ahead: simulating "today" from 07:50 in the small hours (after 16:00
    UTC) sent every fact 7 hours into the future and the hub stored none of them.
    """
    zone = ZoneInfo(tz)
    local = (now or datetime.now(zone)).astimezone(zone)
    start = datetime.combine(local.date(), dtime(7, 50), tzinfo=zone)
    while start + timedelta(seconds=until_s + EVENING_S) > local:
        start = datetime.combine(start.date() - timedelta(days=1), dtime(7, 50), tzinfo=zone)
    return start


def _next_report(up: Any, procs: list[Any], timeout: float, dead: set[int]) -> tuple[str, int, Any]:
    """The next message of a device process; ("tick", -1, None) when none came within
    `timeout`; ("error", pid, why) once for each process that died without saying why."""
    import queue

    deadline = time.monotonic() + timeout
    while True:
        try:
            wait = min(0.5, max(0.01, deadline - time.monotonic()))
            report: tuple[str, int, Any] = up.get(timeout=wait)
            return report
        except queue.Empty:
            for p in procs:
                if p.exitcode not in (None, 0) and p.pid not in dead:
                    dead.add(p.pid)
                    return "error", p.pid, f"device process exited with code {p.exitcode}"
            if time.monotonic() >= deadline:
                return "tick", -1, None


def _groups(halls: int, processes: int, windows: int = 4) -> list[list[int]]:
    halls_each = max(1, DEVICES_PER_PROCESS // devices_per_hall(windows))
    n = processes or -(-halls // halls_each)
    return [g for g in (list(range(k, halls, n)) for k in range(n)) if g]


def devices_per_hall(windows: int) -> int:
    """Devices of a generated hall (hub.simulate.layout): face terminal, kiosk, and per window
    a keypad, a rating device, an away sign and a radar."""
    return 2 + 4 * windows


def connect_failure(devices: int, connected: int, max_fd: int, processes: int) -> str:
    """Why devices could not connect, and what to do, in words."""
    text = f"only {connected} of {devices} simulated devices connected to the broker"
    if max_fd >= SELECT_FD_LIMIT - 1:
        text += (
            f": a device process opened file descriptors up to {max_fd}, past the "
            f"{SELECT_FD_LIMIT} that select() (paho's network loop) can watch; run with more "
            f"device processes (--processes {max(processes + 1, processes * 2)}), or leave "
            "--processes at 0 to size them by the number of devices"
        )
    else:
        text += "; is the broker reachable and does it allow this many clients?"
    return text


def wait_caught_up(hub: Any, timeout: float) -> bool:
    """Wait until every durable projector has applied (or parked) every stored fact, no fact
    waits for a retry and no committed batch waits for projection; False on timeout."""
    projection = hub.ingest.projection if hub.ingest is not None else None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        head = fact_log_head(hub.engine)
        if projection is None:
            return True
        lanes = list(projection.lanes.values())
        if (
            projection.wait_idle(0.5)
            and all(lane.examined >= head for lane in lanes)
            and parked_facts(hub.engine) <= 0
        ):
            return True
        time.sleep(0.2)
    return False


def simulate(
    opts: SimOptions, on_progress: Callable[[float, int, str], None] | None = None
) -> SimResult:
    """Run the day; `on_progress(fraction, stored, phase)` is called about twice a second."""
    from hub.server import HubServer
    from hub.settings import HubSettings

    result = SimResult(halls=opts.halls)
    until_s = min(DAY_S, opts.hours * 3600)
    with ExitStack() as stack:
        work = opts.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        broker = stack.enter_context(_broker(opts.broker, work))
        db = opts.db or f"sqlite:///{work / 'hub.db'}"
        halls = [make_hall(i, opts.windows) for i in range(opts.halls)]
        start = day_start(until_s=until_s)
        hub_clock = _HubClock()
        settings = HubSettings(
            secret_key=secrets.token_hex(16),
            database_url=db,
            broker_url=broker,
            client_id=f"hk-sim-{secrets.token_hex(3)}",
            inactivity_s=24 * 3600,  # heartbeats come every 30 real s = hours of simulated time
            auth_required=False,
            batch_ms=opts.batch_ms,
            batch_size=opts.batch_size,
        )
        hub = HubServer(settings, halls=halls, serve_api=False, clock=hub_clock).start(120)
        stack.callback(hub.stop)
        assert hub.engine is not None
        if opts.duty:
            from hub.simulate.duty import seed_duty

            result.duty = seed_duty(hub.engine, halls, start)
        groups = _groups(opts.halls, opts.processes, opts.windows)
        result.processes = len(groups)
        ctx = mp.get_context("spawn")
        up: Any = ctx.Queue()
        downs = [ctx.Queue() for _ in groups]
        procs = [
            ctx.Process(
                target=device_process,
                args=(
                    g,
                    opts.windows,
                    broker,
                    str(work / "edge"),
                    opts.seed,
                    start,
                    opts.speed,
                    until_s,
                    up,
                    d,
                    opts.connect_s,
                ),
                daemon=True,
            )
            for g, d in zip(groups, downs, strict=True)
        ]
        for p in procs:
            p.start()

        def join_all() -> None:
            for p in procs:
                p.join(30)

        stack.callback(join_all)
        total_actions, max_fd = 0, 0
        dead: set[int] = set()

        def call_off() -> None:  # a process still waiting for the epoch is told to stop
            for d in downs:
                d.put(None)

        stack.callback(call_off)
        for _ in procs:
            kind, _pid, info = _next_report(up, procs, 600, dead)
            if kind != "ready":
                raise SimulationError(f"a device process failed to start: {info or 'silent'}")
            result.devices += info["devices"]
            result.connected += info["connected"]
            total_actions += info["actions"]
            max_fd = max(max_fd, info.get("max_fd", 0))
        if result.connected < result.devices:
            raise SimulationError(
                connect_failure(result.devices, result.connected, max_fd, len(procs))
            )
        epoch = time.time() + 0.5
        clock = SimClock(start, opts.speed, epoch)
        hub_clock.clock = clock.trailing(
            min(HUB_LAG_MAX_S, (HUB_LAG_REAL_S + opts.batch_ms / 1000) * opts.speed)
        )
        for d in downs:
            d.put(epoch)
        done_by: dict[int, int] = {}
        finished = 0
        last_report = 0.0
        while finished < len(procs):
            kind, pid, info = _next_report(up, procs, 0.5, dead)
            if kind == "progress":
                done_by[pid] = info
            elif kind == "done":
                finished += 1
                for key, n in info["sent"].items():
                    result.sent[key] = n
                for key, n in info["actions"].items():
                    result.actions[key] = result.actions.get(key, 0) + n
                for key, n in info["left"].items():
                    result.left[key] = n
                if finished == 1:
                    result.play_s = time.time() - epoch
            elif kind == "error":
                finished += 1
                result.errors.append(str(info))
            if on_progress is not None and time.monotonic() - last_report > 0.5:
                last_report = time.monotonic()
                fraction = min(1.0, clock.offset_s() / until_s)
                on_progress(fraction, stored_facts(hub.engine), "day")
        result.play_s = max(result.play_s, until_s / opts.speed)
        drained = time.time()
        target = result.sent_total - result.outbox_left
        last: tuple[int, float] = (-1, -1.0)
        still = time.monotonic()
        while True:  # ingest catches up: every fact stored, or no progress for STALL_S
            n = stored_facts(hub.engine)
            if n >= target or time.monotonic() - still > STALL_S:
                break
            busy = hub.ingest.stats.snapshot() if hub.ingest is not None else {}
            now = (n, busy.get("batches", 0) + busy.get("received", 0))
            if now != last:
                last, still = now, time.monotonic()
            if on_progress is not None:
                on_progress(1.0, n, "ingest")
            time.sleep(0.3)
        result.drain_s = max(0.0, time.time() - drained) + max(0.0, drained - epoch - result.play_s)
        # derived records are read only once the projectors have applied every stored fact
        result.caught_up = wait_caught_up(hub, CATCH_UP_S)
        result.stored = read_stored(hub.engine)
    return result
