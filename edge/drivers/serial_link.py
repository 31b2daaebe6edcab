"""Serial plumbing shared by the serial device drivers, free of any device's frames.

`PtyPeer` is the device end of a pseudo-terminal: a simulated device subclasses it, the driver
opens `.port` with the same pyserial code as the real device. `SerialLink` is the driver end of
one serial line: a reader thread feeding the bytes to a callback, a locked write, a locked
request that waits for an answer, and a close that is safe twice.

The reader thread does not die (rule DEV-4): a failed read (a USB adapter pulled out) closes
the port, tells `on_error` and opens the port again with back-off (`retry_s` doubling to
`RETRY_MAX_S`) until the adapter is back, then tells `on_restored`; a driver callback that
raises is logged and told to `on_error` too, and reading goes on.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import select
import threading
import time
import tty
from collections.abc import Callable
from typing import TypeVar

import serial

from edge.drivers.base import DeviceContext
from edge.health import Backoff

logger = logging.getLogger(__name__)

RETRY_MAX_S = 30.0
"""The longest wait between two attempts to open a serial port that is gone."""

T = TypeVar("T")
P = TypeVar("P", bound="PtyPeer")


class PortClosed(Exception):
    """The serial link was closed before (or while) it was used."""


class PortGone(serial.SerialException):
    """The serial port failed (its adapter vanished) and is not open again yet."""


class DriverCallbackError(RuntimeError):
    """A driver's data callback raised: reported, and reading goes on."""


def choose_port(configured: str | None, peer: PtyPeer | None, *, missing: str) -> str:
    """The line to open: the simulated peer's pty, else the configured device (or ValueError)."""
    port = peer.port if peer is not None else configured
    if not port:
        raise ValueError(missing)
    return port


def open_line(
    backend: str,
    port: str | None,
    baudrate: int,
    *,
    peer: Callable[[], P],
    timeout: float,
    missing: str,
) -> tuple[P | None, SerialLink]:
    """Open a driver's line: on the simulated backend first its peer (from `peer()`)."""
    sim = peer() if backend == "simulated" else None
    try:
        return sim, SerialLink(choose_port(port, sim, missing=missing), baudrate, timeout=timeout)
    except BaseException:
        if sim is not None:
            sim.close()
        raise


def close_line(link: SerialLink | None, peer: PtyPeer | None) -> None:
    """Close a driver's link, then its simulated peer; either may be None."""
    if link is not None:
        link.close()
    if peer is not None:
        peer.close()


class PtyPeer:
    """The device end of a pseudo-terminal; subclasses add the device's frames."""

    def __init__(self, *, name: str = "pty-peer", nonblocking: bool = False) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        if nonblocking:
            flags = fcntl.fcntl(self._master, fcntl.F_GETFL)
            fcntl.fcntl(self._master, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        self.port = os.ttyname(self._slave)
        self._name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def write(self, data: bytes) -> None:
        """Put raw bytes on the line (garbage included)."""
        os.write(self._master, data)

    def _write_quietly(self, data: bytes) -> None:
        """Put bytes on the line; a closed or full pty drops them."""
        with contextlib.suppress(OSError):
            os.write(self._master, data)

    def _spawn(self, target: Callable[[], None]) -> None:
        """Run `target` on the peer's thread (it should end once `_stop` is set)."""
        self._thread = threading.Thread(target=target, name=self._name, daemon=True)
        self._thread.start()

    def _read_into(self, feed: Callable[[bytes], None]) -> None:
        """Start a thread that feeds every chunk the driver writes to `feed`."""

        def run() -> None:
            while not self._stop.is_set():
                ready, _, _ = select.select([self._master], [], [], 0.1)
                if not ready:
                    continue
                try:
                    data = os.read(self._master, 4096)
                except OSError:
                    return
                feed(data)

        self._spawn(run)

    def close(self) -> None:
        """Stop the peer's thread and close both ends; safe twice."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class SerialLink:
    """The driver end of one serial line, opened with pyserial."""

    def __init__(self, port: str, baudrate: int, *, timeout: float) -> None:
        self.port = port
        self._baudrate, self._timeout = baudrate, timeout
        self._serial: serial.Serial | None = serial.Serial(port, baudrate, timeout=timeout)
        self._closed = False
        self.gone: Exception | None = None
        """Why the port is gone now (None while it is open)."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_open(self) -> bool:
        """True until close() (also while the port is gone and being opened again)."""
        return not self._closed

    def start_reading(
        self,
        on_data: Callable[[bytes], None],
        on_error: Callable[[Exception], None],
        *,
        name: str,
        chunk: int | None = None,
        retry_s: float = 1.0,
        on_restored: Callable[[], None] | None = None,
    ) -> None:
        """Read on a thread: every read (empty after a timeout) goes to `on_data`.

        `chunk` None reads what is waiting (at least one byte). A failed read closes the
        port and goes to `on_error` (a PortGone while it cannot be opened again); the reader
        retries with back-off from `retry_s` and calls `on_restored` once it reads again.
        """
        if self._serial is None:
            raise PortClosed(self.port)
        backoff = Backoff(retry_s, max(retry_s, RETRY_MAX_S))

        def failed(exc: Exception) -> None:
            _quietly(on_error, exc)
            self._stop.wait(backoff.failed(time.monotonic()) - time.monotonic())

        def run() -> None:
            while not self._stop.is_set():
                port = self._serial if self.gone is None else self._reopen()
                if port is None:
                    if self._closed:
                        return
                    failed(PortGone(f"serial port {self.port} gone: {self.gone}"))
                    continue
                try:
                    data = port.read(chunk or port.in_waiting or 1)
                except Exception as exc:  # a vanished adapter or a port closed under us
                    if self._stop.is_set():
                        return
                    self._lose(port, exc)
                    failed(exc)
                    continue
                try:
                    on_data(data)
                except Exception as exc:  # a driver bug must not end the reading for good
                    logger.exception("serial %s: the driver failed on %r", self.port, data[:64])
                    failed(DriverCallbackError(f"{type(exc).__name__}: {exc}"))
                    continue
                if backoff.failures:  # read and handled again: the trouble is over
                    backoff.reset()
                    logger.warning("serial port %s reads again", self.port)
                    if on_restored is not None:
                        _quietly(on_restored)

        self._stop.clear()
        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()

    def _lose(self, port: serial.Serial, exc: Exception) -> None:
        """A read failed: close the port, so it is opened anew when the adapter is back."""
        with self._lock:
            self.gone = exc
            if self._serial is port:
                self._serial = None
        with contextlib.suppress(Exception):
            port.close()

    def _reopen(self) -> serial.Serial | None:
        """Try to open the gone port again; the port, or None (still gone, or closed)."""
        try:
            port = serial.Serial(self.port, self._baudrate, timeout=self._timeout)
        except (OSError, ValueError) as exc:
            self.gone = exc
            return None
        with self._lock:
            if self._closed:
                port.close()
                return None
            self._serial, self.gone = port, None
        return port

    def _open_port(self) -> serial.Serial:
        """The open port, under the lock; PortClosed once closed, PortGone while gone."""
        if self._closed:
            raise PortClosed(self.port)
        if self._serial is None:
            raise PortGone(f"serial port {self.port} gone: {self.gone}")
        return self._serial

    def write(self, data: bytes) -> None:
        """Send bytes; PortClosed once closed, PortGone while the port is gone."""
        with self._lock:
            self._open_port().write(data)

    def request(
        self, data: bytes, answer: Callable[[bytes], T | None], timeout_s: float
    ) -> T | None:
        """Send bytes and read until `answer(chunk)` returns a value; None when time runs out.

        Nothing else writes or reads meanwhile. PortClosed when the link is closed.
        """
        with self._lock:
            port = self._open_port()
            port.reset_input_buffer()
            port.write(data)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                chunk = port.read(port.in_waiting or 1)
                if chunk:
                    result = answer(chunk)
                    if result is not None:
                        return result
            return None

    def close(self) -> None:
        """Stop the reader and close the port; safe twice."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        self._thread = None
        with self._lock:
            self._closed = True
            if self._serial is not None:
                with contextlib.suppress(Exception):
                    self._serial.close()
                self._serial = None


def _quietly(callback: Callable[..., None], *args: object) -> None:
    """Call a driver's callback from the reader thread; its failure is logged, not fatal."""
    try:
        callback(*args)
    except Exception:
        logger.exception("a serial driver's callback failed")


class LineWatch:
    """A serial driver's line trouble as one fault raised and one cleared (rule DEV-4).

    `failed` is the link's `on_error`, `restored` its `on_restored`: a pulled adapter is the
    fault `code` ("serial port gone: ...") raised once, not once per retry; a driver callback
    that raised is `driver_error`. Both are cleared once the line reads and is handled again.
    """

    def __init__(self, ctx: DeviceContext, code: str) -> None:
        self.ctx, self.code = ctx, code
        self.up: set[str] = set()

    def failed(self, exc: Exception) -> None:
        """A failed read or driver callback: raise its fault unless it is up already."""
        if isinstance(exc, DriverCallbackError):
            code, reason = "driver_error", f"driver failed, retrying: {exc}"
        else:
            code, reason = self.code, f"serial port gone: {exc}"
        if code not in self.up:
            self.up.add(code)
            logger.warning("%s: %s", self.ctx.device, reason)
            self.ctx.fault(code, reason)

    def restored(self) -> None:
        """The line reads and is handled again: clear what was raised."""
        for code in sorted(self.up):
            self.ctx.fault(code, "serial line works again", active=False)
        self.up.clear()
