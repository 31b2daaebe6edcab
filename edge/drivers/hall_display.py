"""The hall screen (大厅LED/显示屏): a full-screen browser on the hub's hall page (QUEUE-4).

The page itself (latest calls, waiting per service) is served by the hub and updated by push
(SSE). This driver keeps the screen alive: the `real` backend runs a kiosk-mode browser on the
page and restarts it when it exits, raising a `browser_exited` fault (DEV-4) until it is back;
the `simulated` backend runs no browser. Both take DisplayText commands (a notice line shown
over the page, kept here and reported in the command result).
"""

from __future__ import annotations

import logging
import subprocess
import threading

from edge.drivers.base import CommandOutcome, DeviceContext, Driver
from models.commands import Command, DisplayText
from models.devices.hall_display import KIND, HallDisplayConfig

logger = logging.getLogger(__name__)


class HallDisplayDriver(Driver[HallDisplayConfig]):
    """Keeps a kiosk browser on the hall page; keeps the notice lines pushed to it."""

    kind = KIND
    Config = HallDisplayConfig

    def __init__(self, ctx: DeviceContext, config: HallDisplayConfig) -> None:
        super().__init__(ctx, config)
        self.lines: dict[int, str] = {}
        self.browser: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stop = threading.Event()
        self._watch: threading.Thread | None = None

    def start(self) -> None:
        """Start the browser (real backend) and its watchdog."""
        self._stop.clear()
        if self.config.backend == "real":
            self._launch()
            self._watch = threading.Thread(
                target=self._watchdog, name=f"hall-display-{self.ctx.device}", daemon=True
            )
            self._watch.start()

    def _launch(self) -> None:
        try:
            self.browser = subprocess.Popen(
                [*self.config.browser, self.config.url],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            self.browser = None
            self.ctx.fault("browser_missing", f"cannot start {self.config.browser[0]}: {exc}")

    def _watchdog(self) -> None:
        faulted = False
        while not self._stop.wait(0.5):
            if self.browser is not None and self.browser.poll() is None:
                if faulted:
                    self.ctx.fault("browser_exited", "the hall page is shown again", active=False)
                    faulted = False
                continue
            if not faulted:
                code = None if self.browser is None else self.browser.returncode
                self.ctx.fault("browser_exited", f"the hall page browser exited ({code})")
                faulted = True
            if self._stop.wait(self.config.restart_s):
                return
            self.restarts += 1
            self._launch()

    def stop(self) -> None:
        """Close the browser; safe to call twice."""
        self._stop.set()
        if self._watch is not None:
            self._watch.join(5)
            self._watch = None
        if self.browser is not None and self.browser.poll() is None:
            self.browser.terminate()
            try:
                self.browser.wait(5)
            except subprocess.TimeoutExpired:
                self.browser.kill()
        self.browser = None

    def status(self) -> str:
        """ok while the page is on screen (always, simulated); fault otherwise."""
        if self.config.backend == "simulated":
            return "ok"
        return "ok" if self.browser is not None and self.browser.poll() is None else "fault"

    def handle(self, command: Command) -> CommandOutcome:
        """Keep a DisplayText notice line; other commands are refused."""
        body = command.body
        if not isinstance(body, DisplayText):
            return CommandOutcome(False, f"hall_display does not take {command.type.value}")
        self.lines[body.line] = body.text
        return CommandOutcome(True, f"line {body.line}: {body.text}")


DRIVER = HallDisplayDriver
