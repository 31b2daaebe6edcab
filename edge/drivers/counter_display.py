"""The counter LED display (窗口屏) on RS-485: DisplayText commands become addressed frames.

Protocol: firmware_cfg/protocols/counter_led.md (edge/serialproto/led.py). Every frame waits
for the display's answer; no answer within `ack_timeout_s` raises the device fault
`display_no_answer` (DEV-4), cleared by the next answer. The queue does not wait on it.
Backends: `real` opens `port` with pyserial; `simulated` opens a pseudo-terminal whose other
end is a DisplayPeer that decodes the frames, keeps what is shown and answers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time
import tty
from collections.abc import Callable

import serial
from pydantic import Field

from edge.drivers.base import CommandOutcome, DeviceContext, Driver, DriverConfig
from edge.serialproto.framing import FrameError
from edge.serialproto.led import (
    CMD_SHOW,
    STATUS_OK,
    Ack,
    LedDecoder,
    Show,
    encode_ack,
    encode_clear,
    encode_show,
)
from models.commands import Command, DisplayText

logger = logging.getLogger(__name__)


class CounterDisplayConfig(DriverConfig):
    """Settings of one counter LED display."""

    port: str | None = Field(default=None, description="RS-485 serial device (real backend)")
    baudrate: int = Field(default=9600, description="Line speed, 8N1")
    address: int = Field(default=1, ge=0, le=255, description="Display bus address")
    ack_timeout_s: float = Field(
        default=0.5, gt=0, le=10, description="No answer this long: display_no_answer"
    )


class DisplayPeer:
    """A simulated RS-485 LED display on a pseudo-terminal: decodes frames, shows, answers."""

    def __init__(self, address: int = 1) -> None:
        self.address = address
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self.lines: dict[int, str] = {}
        self.shown: list[Show] = []
        self.errors: list[FrameError] = []
        self.mute = False
        self.on_show: Callable[[Show], None] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="led-peer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        decoder = LedDecoder()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(self._master, 4096)
            except OSError:
                return
            for item in decoder.feed(data):
                if isinstance(item, FrameError):
                    self.errors.append(item)
                elif isinstance(item, Show) and item.address == self.address:
                    self._show(item)

    def _show(self, item: Show) -> None:
        if item.clear:
            self.lines.pop(item.line, None)
        else:
            self.lines[item.line] = item.text
        self.shown.append(item)
        if self.on_show is not None:
            self.on_show(item)
        if not self.mute:
            cmd = CMD_SHOW if not item.clear else 0x02
            with contextlib.suppress(OSError):
                os.write(self._master, encode_ack(self.address, cmd, STATUS_OK))

    def close(self) -> None:
        """Stop and close both ends."""
        self._stop.set()
        self._thread.join(timeout=2)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class CounterDisplayDriver(Driver[CounterDisplayConfig]):
    """Shows DisplayText on the counter's LED display and checks that it answers."""

    kind = "counter_display"
    Config = CounterDisplayConfig

    def __init__(self, ctx: DeviceContext, config: CounterDisplayConfig) -> None:
        super().__init__(ctx, config)
        self.peer: DisplayPeer | None = None
        self.faulted = False
        self._port: serial.Serial | None = None
        self._lock = threading.Lock()
        self._timers: dict[int, threading.Timer] = {}

    def start(self) -> None:
        """Open the RS-485 port (or the simulated display)."""
        port = self.config.port
        if self.config.backend == "simulated":
            self.peer = DisplayPeer(self.config.address)
            port = self.peer.port
        if not port:
            raise ValueError("counter_display: the real backend needs `port`")
        self._port = serial.Serial(port, self.config.baudrate, timeout=0.05)

    def stop(self) -> None:
        """Close the port; safe twice."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        with self._lock:
            if self._port is not None:
                self._port.close()
                self._port = None
        if self.peer is not None:
            self.peer.close()
            self.peer = None

    def status(self) -> str:
        """fault while the display does not answer."""
        return "fault" if self.faulted else "ok"

    def handle(self, command: Command) -> CommandOutcome:
        """Show a DisplayText; other commands are refused."""
        body = command.body
        if not isinstance(body, DisplayText):
            return CommandOutcome(False, f"counter_display does not take {command.type.value}")
        ok = self.show(body.text, body.line)
        if ok and body.ttl_s:
            self._clear_later(body.line, body.ttl_s)
        return CommandOutcome(ok, "shown" if ok else "display_no_answer")

    def show(self, text: str, line: int = 0) -> bool:
        """Send one line of text; True when the display answered."""
        frame = (
            encode_show(self.config.address, text, line)
            if text
            else encode_clear(self.config.address, line)
        )
        return self._send(frame)

    def _clear_later(self, line: int, ttl_s: int) -> None:
        old = self._timers.pop(line, None)
        if old is not None:
            old.cancel()
        timer = threading.Timer(ttl_s, self.show, args=("", line))
        timer.daemon = True
        self._timers[line] = timer
        timer.start()

    def _send(self, frame: bytes) -> bool:
        with self._lock:
            port = self._port
            if port is None:
                return False
            port.reset_input_buffer()
            port.write(frame)
            answered = self._await_ack(port, frame[3])
        if answered and self.faulted:
            self.faulted = False
            self.ctx.fault("display_no_answer", "display answers again", active=False)
        elif not answered and not self.faulted:
            self.faulted = True
            msg = f"no answer from address {self.config.address} in {self.config.ack_timeout_s}s"
            logger.warning("display %s: %s", self.ctx.device, msg)
            self.ctx.fault("display_no_answer", msg)  # rule DEV-4
        return answered

    def _await_ack(self, port: serial.Serial, command: int) -> bool:
        decoder = LedDecoder()
        deadline = time.monotonic() + self.config.ack_timeout_s
        while time.monotonic() < deadline:
            data = port.read(port.in_waiting or 1)
            for item in decoder.feed(data) if data else ():
                if (
                    isinstance(item, Ack)
                    and item.address == self.config.address
                    and item.command == command
                ):
                    return item.status == STATUS_OK
        return False


DRIVER = CounterDisplayDriver
