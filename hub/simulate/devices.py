"""One device process of the fleet simulator: the real edge agents of some halls, playing a plan.

Every device runs the real edge runtime (edge.agent.Agent: DeviceRuntime, outbox, MQTT session,
heartbeat, config apply, commands) with its simulated driver backend. Actions go through the
drivers' own simulation hooks (kiosk take(), keypad and rating peers on pseudo-terminals, the
away sign's mock pin, the radar's serial peer). The face terminal is the exception: running
the CV pipeline for thousands of terminals is not the point of a load test, so its Punch
events are emitted straight through the terminal's runtime (DeviceRuntime.emit) -- same
envelope, outbox and session as a recognised face. Device time is the simulated clock.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from edge.agent import Agent
from edge.runtime import DeviceRuntime
from edge.settings import AgentSettings
from hub.simulate.clock import SimClock
from hub.simulate.layout import make_hall
from hub.simulate.plan import Action, hall_day
from models.events import Liveness, Punch

logger = logging.getLogger(__name__)


class _Time:
    """The devices' clock: the day's start until the run begins, then the simulated clock."""

    def __init__(self, day_start: datetime) -> None:
        self.day_start = day_start
        self.clock: SimClock | None = None

    def now(self) -> datetime:
        """Simulated now."""
        return self.day_start if self.clock is None else self.clock.now()


def _punch(staff: str) -> Punch:
    return Punch(
        staff_id=staff,
        distance=0.38,
        liveness=Liveness(passed=True, blink=True, motion=0.8, method="ear"),
    )


class HallPlayer:
    """The agents of some halls and the one loop that plays their actions."""

    def __init__(
        self,
        halls: list[int],
        windows: int,
        broker: str,
        data_dir: Path,
        seed: int,
        until_s: float = float("inf"),
    ) -> None:
        self.settings = AgentSettings(
            broker_url=broker,
            data_dir=data_dir,
            outbox_sync="normal",
            clock_synced=True,
            heartbeat_s=30.0,
            reconnect_max_s=2.0,
        )
        self.halls = {i: make_hall(i, windows) for i in halls}
        self.actions = sorted(
            a
            for i, h in self.halls.items()
            for a in hall_day(i, h.id, windows, seed)
            if a.at_s < until_s
        )
        self.agents: list[Agent] = []
        self.runtimes: dict[tuple[int, str], DeviceRuntime] = {}
        self.done: Counter[str] = Counter()
        self.skipped = 0
        self.offline: set[tuple[int, str]] = set()

    def start(self) -> int:
        """Start every agent (one per node of each hall); the number of devices running."""
        for index, hall in self.halls.items():
            for node in sorted({d.node for d in hall.devices}):
                agent = Agent(
                    hall,
                    node,
                    self.settings.model_copy(update={"data_dir": self.settings.data_dir / hall.id}),
                ).start()
                self.agents.append(agent)
                for device, runtime in agent.runtimes.items():
                    self.runtimes[(index, device)] = runtime
        return len(self.runtimes)

    def wait_connected(self, timeout: float) -> int:
        """Wait until every session is ready; the number that are."""
        deadline = time.monotonic() + timeout
        return sum(
            1
            for runtime in self.runtimes.values()
            if runtime.session.wait_ready(max(0.0, deadline - time.monotonic()))
        )

    def play(self, clock: SimClock, progress: Any = None) -> None:
        """Do every action at its simulated time; report progress as (done, total)."""
        total, last_report = len(self.actions), 0.0
        for k, action in enumerate(self.actions):
            delay = clock.wall_at(action.at_s) - time.time()
            if delay > 0:
                time.sleep(delay)
            try:
                self.act(action)
            except Exception:  # one failed action must not end the day
                logger.exception("simulated action failed: %s", action)
                self.skipped += 1
            if progress is not None and time.monotonic() - last_report > 0.5:
                progress(k + 1, total)
                last_report = time.monotonic()
        if progress is not None:
            progress(total, total)

    def act(self, a: Action) -> None:
        """Carry out one action through the device's driver (or runtime, for punches)."""
        runtime = self.runtimes.get((a.hall, a.device))
        if a.kind in ("leave", "back"):
            sign = self.runtimes.get((a.hall, f"{a.device}-sign"))
            radar = self.runtimes.get((a.hall, f"{a.device}-radar"))
            if sign is not None and a.flag:
                if a.kind == "leave":
                    sign.driver.simulate_place()  # type: ignore[attr-defined]
                else:
                    sign.driver.simulate_remove()  # type: ignore[attr-defined]
            if radar is not None:
                radar.driver.simulate_present(a.kind == "back")  # type: ignore[attr-defined]
            self.done[a.kind] += 1
            return
        if runtime is None:
            self.skipped += 1
            return
        driver: Any = runtime.driver
        if a.kind == "punch":
            runtime.emit(_punch(a.arg))
        elif a.kind == "ticket":
            driver.take(a.arg, green_channel=a.flag)
        elif a.kind == "key":
            driver.peer.press(a.arg)
        elif a.kind == "rate":
            driver.peer.rate(int(a.arg))  # every dimension the hall's scheme asks (RATE-1)
        elif a.kind == "fault":
            runtime.fault(a.arg, "simulated fault", active=a.flag, severity="warning")
        elif a.kind == "offline" and (a.hall, a.device) not in self.offline:
            runtime.session.stop()  # the terminal's network is gone; its driver goes on
            self.offline.add((a.hall, a.device))
        elif a.kind == "online" and (a.hall, a.device) in self.offline:
            runtime.session.start()  # back: the outbox replays what was recorded meanwhile
            self.offline.discard((a.hall, a.device))
        self.done[a.kind] += 1

    def drain(self, timeout: float) -> int:
        """Reconnect any session left offline, wait until the outboxes hold no fact; depth left."""
        for key in sorted(self.offline):
            self.runtimes[key].session.start()
        self.offline.clear()
        deadline = time.monotonic() + timeout
        depth = self._depth()
        while depth and time.monotonic() < deadline:
            time.sleep(0.2)
            depth = self._depth()
        return depth

    def _depth(self) -> int:
        return sum(a.outbox.depth() for a in self.agents if a.outbox is not None)

    def finish(self) -> tuple[dict[str, int], dict[str, int]]:
        """Stop every device, then count: facts recorded (last sequence number) and rows left
        unsent in the outbox, each keyed `hall/device`; close the outboxes."""
        sent: dict[str, int] = {}
        left: dict[str, int] = {}
        for agent in self.agents:
            for runtime in agent.runtimes.values():
                runtime.stop()  # no fact after this: the count below is final
            if agent.outbox is not None:
                for device in agent.runtimes:
                    key = f"{agent.hall.id}/{device}"
                    sent[key] = agent.outbox.last_seq(device)
                    rows = agent.outbox.pending(device, 0, 2**62)
                    left[key] = sum(1 for row in rows if row.fact)  # heartbeats are no facts
            agent.runtimes.clear()  # stopped already
            agent.stop()
        self.agents.clear()
        return sent, left

    def stop(self) -> None:
        """Stop every agent still running (after a failure)."""
        for agent in self.agents:
            agent.stop()


def max_fd() -> int:
    """The highest file descriptor this process has open (Linux; 0 elsewhere)."""
    try:
        return max((int(n) for n in os.listdir("/proc/self/fd")), default=0)
    except OSError:
        return 0


def _exit_with_parent() -> None:
    """End this process when the simulator that spawned it is gone (killed, not stopped)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def device_process(
    halls: list[int],
    windows: int,
    broker: str,
    data_dir: str,
    seed: int,
    day_start: datetime,
    speed: float,
    until_s: float,
    to_parent: Any,
    from_parent: Any,
    connect_s: float = 120.0,
) -> None:
    """Entry of a device process: start, report ready, get the epoch, play, drain, report."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    _exit_with_parent()
    sim_time = _Time(day_start)
    DeviceRuntime.now = lambda self: sim_time.now()  # type: ignore[method-assign]
    player = HallPlayer(halls, windows, broker, Path(data_dir), seed, until_s)
    pid = halls[0]
    try:
        running = player.start()
        connected = player.wait_connected(connect_s)
        ready = {
            "devices": running,
            "connected": connected,
            "actions": len(player.actions),
            "max_fd": max_fd(),
        }
        to_parent.put(("ready", pid, ready))
        epoch = from_parent.get()
        if epoch is None:  # the run was called off (devices that could not connect)
            return
        sim_time.clock = SimClock(day_start, speed, epoch)
        player.play(sim_time.clock, lambda d, t: to_parent.put(("progress", pid, d)))
        player.drain(120)
        time.sleep(1.0)  # the hub's last commands (ShowServing ...) and their results
        player.drain(30)
        sent, left = player.finish()
        to_parent.put(
            (
                "done",
                pid,
                {
                    "sent": sent,
                    "left": left,
                    "actions": dict(player.done),
                    "skipped": player.skipped,
                },
            )
        )
    except Exception as exc:
        logger.exception("device process failed")
        to_parent.put(("error", pid, str(exc)))
    finally:
        player.stop()
