"""The counter LED display (窗口屏) on RS-485: DisplayText commands become addressed frames.

Protocol: firmware_cfg/protocols/counter_led.md (edge/serialproto/led.py). Every frame waits
for the display's answer; no answer within `ack_timeout_s` raises the device fault
`display_no_answer` (DEV-4), cleared by the next answer. The queue does not wait on it.
Backends: `real` opens `port` with pyserial; `simulated` opens a pseudo-terminal whose other
end is a DisplayPeer that decodes the frames, keeps what is shown and answers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from edge.drivers.base import CommandOutcome, DeviceContext, Driver
from edge.drivers.serial_link import PortClosed, PtyPeer, SerialLink, close_line, open_line
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
from models.devices.counter_display import KIND, CounterDisplayConfig

logger = logging.getLogger(__name__)


class DisplayPeer(PtyPeer):
    """A simulated RS-485 LED display on a pseudo-terminal: decodes frames, shows, answers."""

    def __init__(self, address: int = 1) -> None:
        super().__init__(name="led-peer")
        self.address = address
        self.lines: dict[int, str] = {}
        self.shown: list[Show] = []
        self.errors: list[FrameError] = []
        self.mute = False
        self.on_show: Callable[[Show], None] | None = None
        self._decoder = LedDecoder()
        self._read_into(self._received)

    def _received(self, data: bytes) -> None:
        for item in self._decoder.feed(data):
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
            self._write_quietly(encode_ack(self.address, cmd, STATUS_OK))


class CounterDisplayDriver(Driver[CounterDisplayConfig]):
    """Shows DisplayText on the counter's LED display and checks that it answers."""

    kind = KIND
    Config = CounterDisplayConfig

    def __init__(self, ctx: DeviceContext, config: CounterDisplayConfig) -> None:
        super().__init__(ctx, config)
        self.peer: DisplayPeer | None = None
        self.faulted = False
        self._link: SerialLink | None = None
        self._timers: dict[int, threading.Timer] = {}

    def start(self) -> None:
        """Open the RS-485 port (or the simulated display)."""
        cfg = self.config
        self.peer, self._link = open_line(
            cfg.backend,
            cfg.port,
            cfg.baudrate,
            peer=lambda: DisplayPeer(cfg.address),
            timeout=0.05,
            missing="counter_display: the real backend needs `port`",
        )

    def stop(self) -> None:
        """Close the port; safe twice."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        close_line(self._link, self.peer)
        self._link, self.peer = None, None

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
        link = self._link
        if link is None:
            return False
        try:
            answer = link.request(frame, self._ack_reader(frame[3]), self.config.ack_timeout_s)
        except PortClosed:
            return False
        answered = answer is True
        if answered and self.faulted:
            self.faulted = False
            self.ctx.fault("display_no_answer", "display answers again", active=False)
        elif not answered and not self.faulted:
            self.faulted = True
            msg = f"no answer from address {self.config.address} in {self.config.ack_timeout_s}s"
            logger.warning("display %s: %s", self.ctx.device, msg)
            self.ctx.fault("display_no_answer", msg)  # rule DEV-4
        return answered

    def _ack_reader(self, command: int) -> Callable[[bytes], bool | None]:
        """Reads the answer to `command`: True when it says ok, None until it comes."""
        decoder = LedDecoder()

        def answer(data: bytes) -> bool | None:
            for item in decoder.feed(data):
                if (
                    isinstance(item, Ack)
                    and item.address == self.config.address
                    and item.command == command
                ):
                    return item.status == STATUS_OK
            return None

        return answer


DRIVER = CounterDisplayDriver
