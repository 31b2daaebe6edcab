"""The counter keypad (叫号键盘): key frames on a serial line become CallRequest events.

Protocol: firmware_cfg/protocols/counter_keypad.md (edge/serialproto/keypad.py). A garbled
frame or an unknown key is a device fault with the reason (DEV-4); reading goes on, so the
next good frame is not lost. Backends: `real` opens `port` with pyserial; `simulated` opens a
pseudo-terminal whose other end is a KeypadPeer that sends the same frame bytes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import tty

import serial
from pydantic import Field

from edge.drivers.base import DeviceContext, Driver, DriverConfig
from edge.serialproto.framing import FrameError
from edge.serialproto.keypad import KeypadDecoder, KeyPress, encode_key
from models.events import CallAction, CallRequest

logger = logging.getLogger(__name__)


class CounterKeypadConfig(DriverConfig):
    """Settings of one counter keypad."""

    port: str | None = Field(default=None, description="Serial device (real backend)")
    baudrate: int = Field(default=9600, description="Line speed, 8N1")
    address: int = Field(default=1, ge=0, le=255, description="Keypad bus address")
    window: str | None = Field(
        default=None, description="Window id; default: device id minus -keypad"
    )


class KeypadPeer:
    """A simulated keypad on a pseudo-terminal: `press` writes the real frame bytes."""

    def __init__(self, address: int = 1) -> None:
        self.address = address
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)

    def write(self, data: bytes) -> None:
        """Put raw bytes on the line (garbage included)."""
        os.write(self._master, data)

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

    def close(self) -> None:
        """Close both ends."""
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class CounterKeypadDriver(Driver[CounterKeypadConfig]):
    """Reads keypad frames and emits one CallRequest per key press."""

    kind = "counter_keypad"
    Config = CounterKeypadConfig

    def __init__(self, ctx: DeviceContext, config: CounterKeypadConfig) -> None:
        super().__init__(ctx, config)
        self.window = config.window or ctx.device.removesuffix("-keypad")
        self.peer: KeypadPeer | None = None
        self.presses = 0
        self.errors = 0
        self._active: set[str] = set()
        self._port: serial.Serial | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Open the port (or the simulated keypad) and start reading."""
        port = self.config.port
        if self.config.backend == "simulated":
            self.peer = KeypadPeer(self.config.address)
            port = self.peer.port
        if not port:
            raise ValueError("counter_keypad: the real backend needs `port`")
        self._port = serial.Serial(port, self.config.baudrate, timeout=0.2)
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"keypad-{self.ctx.device}", daemon=True
        )
        self._thread.start()
        logger.info("keypad %s reading %s for window %s", self.ctx.device, port, self.window)

    def stop(self) -> None:
        """Stop reading and close the port; safe twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._port is not None:
            self._port.close()
            self._port = None
        if self.peer is not None:
            self.peer.close()
            self.peer = None

    def status(self) -> str:
        """ok, or degraded while a garbled frame or unknown key is the latest news."""
        return "degraded" if self._active else "ok"

    def _run(self) -> None:
        decoder = KeypadDecoder()
        port = self._port
        assert port is not None
        while not self._stop.is_set():
            try:
                data = port.read(port.in_waiting or 1)
            except (serial.SerialException, OSError, TypeError) as exc:
                if self._stop.is_set():
                    return
                self.ctx.fault("keypad_port_error", f"serial read failed: {exc}")
                self._stop.wait(1.0)
                continue
            if data:
                for item in decoder.feed(data):
                    self._handle(item)

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
