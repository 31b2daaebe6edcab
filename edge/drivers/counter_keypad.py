"""The counter keypad (叫号键盘): key frames on a serial line become CallRequest events.

Protocol: firmware_cfg/protocols/counter_keypad.md (edge/serialproto/keypad.py). A garbled
frame or an unknown key is a device fault with the reason (DEV-4); reading goes on, so the
next good frame is not lost. Backends: `real` opens `port` with pyserial; `simulated` opens a
pseudo-terminal whose other end is a KeypadPeer that sends the same frame bytes.
"""

from __future__ import annotations

import logging
import time

from edge.drivers.base import DeviceContext, Driver
from edge.drivers.serial_link import LineWatch, PtyPeer, SerialLink, close_line, open_line
from edge.serialproto.framing import FrameError, frame_clock
from edge.serialproto.keypad import KeypadDecoder, KeyPress, encode_key
from models.devices.counter_keypad import KIND, CounterKeypadConfig
from models.events import CallAction, CallRequest

logger = logging.getLogger(__name__)


class KeypadPeer(PtyPeer):
    """A simulated keypad on a pseudo-terminal: `press` writes the real frame bytes."""

    def __init__(self, address: int = 1) -> None:
        super().__init__(name="keypad-peer")
        self.address = address

    def press(
        self,
        action: str,
        *,
        ticket: str | None = None,
        target_service: str | None = None,
        target_window: str | None = None,
    ) -> bytes:
        """Press a key; returns the frame sent."""
        frame = encode_key(KeyPress(self.address, action, ticket, target_service, target_window))
        self.write(frame)
        return frame


class CounterKeypadDriver(Driver[CounterKeypadConfig]):
    """Reads keypad frames and emits one CallRequest per key press."""

    kind = KIND
    Config = CounterKeypadConfig

    def __init__(self, ctx: DeviceContext, config: CounterKeypadConfig) -> None:
        super().__init__(ctx, config)
        self.window = config.window or ctx.device.removesuffix("-keypad")
        self.peer: KeypadPeer | None = None
        self.presses = 0
        self.errors = 0
        self._active: set[str] = set()
        self._link: SerialLink | None = None
        self._watch: LineWatch | None = None

    def start(self) -> None:
        """Open the port (or the simulated keypad) and start reading."""
        cfg = self.config
        wait_s, tick_s = frame_clock(cfg.frame_timeout_ms)
        self.peer, self._link = open_line(
            cfg.backend,
            cfg.port,
            cfg.baudrate,
            peer=lambda: KeypadPeer(cfg.address),
            timeout=tick_s,
            missing="counter_keypad: the real backend needs `port`",
        )
        decoder = KeypadDecoder(wait_s)

        def on_data(data: bytes) -> None:  # an empty read is the half-frame clock's tick
            for item in decoder.feed(data, time.monotonic()):
                self._handle(item)

        self._watch = LineWatch(self.ctx, "keypad_port_error")
        self._link.start_reading(
            on_data,
            self._watch.failed,
            name=f"keypad-{self.ctx.device}",
            on_restored=self._watch.restored,
        )
        port = self._link.port
        logger.info("keypad %s reading %s for window %s", self.ctx.device, port, self.window)

    def stop(self) -> None:
        """Stop reading and close the port; safe twice."""
        close_line(self._link, self.peer)
        self._link, self.peer = None, None

    def status(self) -> str:
        """fault while the serial line is gone, degraded while a garbled frame or an unknown
        key is the latest news, else ok."""
        if self._watch is not None and self._watch.up:
            return "fault"
        return "degraded" if self._active else "ok"

    def _handle(self, item: KeyPress | FrameError) -> None:
        if isinstance(item, FrameError):
            self.errors += 1
            code = (
                "keypad_unknown_key"
                if item.reason.startswith("unknown key")
                else "keypad_garbled_frame"
            )
            logger.warning("keypad %s: %s", self.ctx.device, item)
            self.ctx.fault(code, str(item), severity="warning")  # rule DEV-4
            self._active.add(code)
            return
        if item.address != self.config.address:
            logger.info("keypad %s: frame for address %d ignored", self.ctx.device, item.address)
            return
        self.presses += 1
        for code in sorted(self._active):  # a good frame again: the line is fine
            self.ctx.fault(code, "good frames again", active=False, severity="warning")
        self._active.clear()
        self.ctx.emit(
            CallRequest(
                window=self.window,
                action=CallAction(item.action),
                ticket=item.ticket,
                target_service=item.target_service,
                target_window=item.target_window,
            )
        )


DRIVER = CounterKeypadDriver
