"""The edge agent: one process running every device of one node (a Pi), sharing one outbox.

Embeddable: `Agent(hall, "pi-w01", settings).start()` ... `.stop()` (or use it as a context
manager); `devices=[...]` runs only those devices of the node. A device whose driver is not
installed, or that cannot start, is logged and skipped; the others run (settings were checked
when the hall layout was loaded: models/devices/).
`hallkeeper-edge run --hall firmware_cfg/halls/demo --node pi-w01` (edge/cli.py) runs one until
SIGTERM/SIGINT.
"""

from __future__ import annotations

import fcntl
import logging
import math
import signal
import threading
from collections.abc import Collection
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO

from edge.clock import Clock
from edge.outbox import Outbox
from edge.runtime import DeviceRuntime
from edge.settings import AgentSettings
from models.devices import KINDS
from models.layout import Device, Hall

logger = logging.getLogger(__name__)


class AgentError(RuntimeError):
    """The agent cannot run as asked (unknown node or device, data dir in use)."""


def select_devices(hall: Hall, node: str, wanted: Collection[str] | None = None) -> list[Device]:
    """The devices of `node` (only those in `wanted`, if given); AgentError if none or unknown."""
    mine = hall.node_devices(node)
    if not mine:
        raise AgentError(f"hall {hall.id} has no devices on node {node!r}")
    if wanted is None:
        return mine
    unknown = sorted(set(wanted) - {d.id for d in mine})
    if unknown:
        raise AgentError(f"not devices of node {node}: {', '.join(unknown)}")
    return [d for d in mine if d.id in wanted]


def outbox_rows(devices: Collection[Device], days: float) -> int:
    """The outbox's default bound: `days` busy days of facts of every device of the node
    (each kind's `busy_day_facts`, models/devices); one queued heartbeat each comes on top."""
    return max(10, math.ceil(days * sum(KINDS[d.kind].busy_day_facts for d in devices)))


class Agent:
    """Runs the devices of one node of a hall; start() and stop() may be called from any thread."""

    def __init__(
        self,
        hall: Hall,
        node: str,
        settings: AgentSettings,
        *,
        devices: Collection[str] | None = None,
    ) -> None:
        self.hall, self.node, self.settings = hall, node, settings
        self.devices = select_devices(hall, node, devices)
        self.runtimes: dict[str, DeviceRuntime] = {}
        self.skipped: dict[str, str] = {}
        self.outbox: Outbox | None = None
        self._lock_file: IO[str] | None = None
        self._stopped = threading.Event()

    @property
    def outbox_path(self) -> Path:
        """The agent's outbox file."""
        return self.settings.data_dir / f"outbox-{self.node}.sqlite3"

    def start(self) -> Agent:
        """Open the outbox and start every device that can run."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_data_dir()
        capacity = self.settings.outbox_capacity or outbox_rows(
            self.hall.node_devices(self.node), self.settings.outbox_days
        )
        self.outbox = Outbox(self.outbox_path, capacity, fact_sync=self.settings.outbox_sync)
        clock = Clock(self.settings.clock_synced)
        for device in self.devices:
            try:
                runtime = DeviceRuntime(self.hall, device, self.settings, self.outbox, clock=clock)
                runtime.start()
            except Exception as exc:  # one broken device must not stop the others
                logger.error("%s: skipped: %s", device.id, exc)
                self.skipped[device.id] = str(exc)
                continue
            self.runtimes[device.id] = runtime
        logger.info(
            "agent %s/%s: %d devices running, %d skipped",
            self.hall.id,
            self.node,
            len(self.runtimes),
            len(self.skipped),
        )
        return self

    def _lock_data_dir(self) -> None:
        path = self.settings.data_dir / f"outbox-{self.node}.lock"
        handle = open(path, "w")  # noqa: SIM115 - held open for the agent's lifetime
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise AgentError(f"another agent of node {self.node} uses {path.parent}") from None
        self._lock_file = handle

    def stop(self) -> None:
        """Stop every device (each says "offline"), close the outbox (safe to call twice)."""
        for runtime in self.runtimes.values():
            runtime.stop()
        self.runtimes.clear()
        if self.outbox is not None:
            self.outbox.close()
            self.outbox = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        self._stopped.set()

    def runtime(self, device_id: str) -> DeviceRuntime:
        """The running runtime of one device (KeyError when it is not running)."""
        return self.runtimes[device_id]

    def run_until_signal(self) -> None:
        """Block until SIGTERM or SIGINT, then stop (main thread only)."""

        def _on_signal(signum: int, frame: FrameType | None) -> None:
            logger.info("signal %s: stopping", signal.Signals(signum).name)
            self._stopped.set()

        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
        while not self._stopped.wait(1.0):
            pass
        self.stop()

    def __enter__(self) -> Agent:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
