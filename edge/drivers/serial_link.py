"""Serial plumbing shared by the serial device drivers, free of any device's frames.

`PtyPeer` is the device end of a pseudo-terminal: a simulated device subclasses it, the driver
opens `.port` with the same pyserial code as the real device. `SerialLink` is the driver end of
one serial line: a reader thread feeding the bytes to a callback, a locked write, a locked
request that waits for an answer, and a close that is safe twice.
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

logger = logging.getLogger(__name__)

T = TypeVar("T")
P = TypeVar("P", bound="PtyPeer")


class PortClosed(Exception):
    """The serial link was closed before (or while) it was used."""


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
        self._serial: serial.Serial | None = serial.Serial(port, baudrate, timeout=timeout)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_open(self) -> bool:
        """True until close()."""
        return self._serial is not None

    def start_reading(
        self,
        on_data: Callable[[bytes], None],
        on_error: Callable[[Exception], None],
        *,
        name: str,
        chunk: int | None = None,
        retry_s: float = 1.0,
    ) -> None:
        """Read on a thread: every read (empty after a timeout) goes to `on_data`.

        `chunk` None reads what is waiting (at least one byte); a failed read goes to
        `on_error`, then the reader waits `retry_s` and tries again.
        """
        port = self._serial
        if port is None:
            raise PortClosed(self.port)

        def run() -> None:
            while not self._stop.is_set():
                try:
                    data = port.read(chunk or port.in_waiting or 1)
                except Exception as exc:  # a vanished adapter or a port closed under us
                    if self._stop.is_set():
                        return
                    on_error(exc)
                    self._stop.wait(retry_s)
                    continue
                on_data(data)

        self._stop.clear()
        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> None:
        """Send bytes; PortClosed once closed, serial errors as raised by pyserial."""
        with self._lock:
            if self._serial is None:
                raise PortClosed(self.port)
            self._serial.write(data)

    def request(
        self, data: bytes, answer: Callable[[bytes], T | None], timeout_s: float
    ) -> T | None:
        """Send bytes and read until `answer(chunk)` returns a value; None when time runs out.

        Nothing else writes or reads meanwhile. PortClosed when the link is closed.
        """
        with self._lock:
            port = self._serial
            if port is None:
                raise PortClosed(self.port)
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
            if self._serial is not None:
                with contextlib.suppress(Exception):
                    self._serial.close()
                self._serial = None
