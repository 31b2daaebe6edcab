"""The shared serial plumbing on a real pseudo-terminal: reader thread, write, request, close."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from edge.drivers.serial_link import (
    DriverCallbackError,
    PortClosed,
    PortGone,
    PtyPeer,
    SerialLink,
    close_line,
    open_line,
)
from tests.support.waiting import wait_until as wait_for


class EchoPeer(PtyPeer):
    """A peer that keeps what it receives and answers with it reversed once three bytes came."""

    def __init__(self) -> None:
        super().__init__(name="echo-peer")
        self.received = bytearray()
        self._read_into(self._got)

    def _got(self, data: bytes) -> None:
        self.received.extend(data)
        if len(self.received) == 3:
            self._write_quietly(bytes(self.received[::-1]))


def test_reader_thread_feeds_what_the_peer_writes() -> None:
    peer = PtyPeer()
    link = SerialLink(peer.port, 9600, timeout=0.05)
    got = bytearray()
    errors: list[Exception] = []
    link.start_reading(got.extend, errors.append, name="test-reader")
    try:
        peer.write(b"\x02hello\x03")
        wait_for(lambda: bytes(got) == b"\x02hello\x03")
        assert errors == []
    finally:
        close_line(link, peer)
        close_line(link, peer)  # safe twice
    assert not link.is_open


def test_request_returns_the_answer_and_none_when_time_runs_out() -> None:
    peer = EchoPeer()
    link = SerialLink(peer.port, 9600, timeout=0.05)
    try:
        buf = bytearray()

        def three_bytes(chunk: bytes) -> bytes | None:
            buf.extend(chunk)
            return bytes(buf) if len(buf) >= 3 else None

        assert link.request(b"abc", three_bytes, 2.0) == b"cba"
        assert link.request(b"xyz", lambda chunk: None, 0.2) is None
        link.write(b"!")
        wait_for(lambda: bytes(peer.received) == b"abcxyz!")
    finally:
        link.close()
        peer.close()


def test_a_closed_link_refuses_writes_and_requests() -> None:
    peer = PtyPeer()
    link = SerialLink(peer.port, 9600, timeout=0.05)
    link.close()
    with pytest.raises(PortClosed):
        link.write(b"x")
    with pytest.raises(PortClosed):
        link.request(b"x", lambda chunk: True, 0.1)
    peer.close()


def test_open_line_without_a_port_closes_the_peer_it_made() -> None:
    made: list[PtyPeer] = []

    def make() -> PtyPeer:
        made.append(PtyPeer())
        return made[-1]

    with pytest.raises(ValueError, match="needs `port`"):
        open_line("real", None, 9600, peer=make, timeout=0.1, missing="x: needs `port`")
    assert made == []  # the real backend makes no peer
    peer, link = open_line("simulated", None, 9600, peer=make, timeout=0.1, missing="unused")
    try:
        assert peer is made[0] and link.port == peer.port
    finally:
        close_line(link, peer)
    with pytest.raises(OSError):
        os.write(made[0]._master, b"x")  # both ends closed


def test_a_failed_read_is_reported_and_reading_goes_on() -> None:
    peer = PtyPeer()
    link = SerialLink(peer.port, 9600, timeout=0.05)
    failed = threading.Event()
    errors: list[Exception] = []

    def on_error(exc: Exception) -> None:
        errors.append(exc)
        failed.set()

    link.start_reading(lambda data: None, on_error, name="test-reader", retry_s=0.05)
    try:
        assert link._serial is not None
        link._serial.close()  # the port vanishes under the reader
        wait_for(failed.is_set)
        assert errors
    finally:
        link.close()
        peer.close()


def test_a_pulled_adapter_is_retried_with_back_off_and_read_again_once_back(
    tmp_path: Path,
) -> None:
    # rule DEV-4: the reader does not die; the port path (udev's name) is opened again
    link_path = tmp_path / "ttyUSB-keypad"
    first = PtyPeer()
    os.symlink(first.port, link_path)
    link = SerialLink(str(link_path), 9600, timeout=0.05)
    got = bytearray()
    errors: list[Exception] = []
    restored: list[bool] = []
    link.start_reading(
        got.extend, errors.append, name="t", retry_s=0.05, on_restored=lambda: restored.append(True)
    )
    second: PtyPeer | None = None
    try:
        first.write(b"a")
        wait_for(lambda: bytes(got) == b"a")
        first.close()  # pulled out
        link_path.unlink()
        wait_for(lambda: len(errors) >= 3, 10)
        assert link.gone is not None and link.is_open
        assert any(isinstance(e, PortGone) for e in errors)
        with pytest.raises(PortGone):
            link.write(b"x")
        n = len(errors)
        time.sleep(0.5)  # back-off: 0.05 doubling, so a handful of tries, not one per read
        assert len(errors) - n <= 4
        second = PtyPeer()
        os.symlink(second.port, link_path)  # plugged back in
        wait_for(lambda: restored == [True], 35)
        second.write(b"b")
        wait_for(lambda: bytes(got) == b"ab")
        link.write(b"c")
        assert link.gone is None
    finally:
        close_line(link, second)
        first.close()


def test_a_driver_callback_that_raises_is_reported_and_reading_goes_on() -> None:
    peer = PtyPeer()
    link = SerialLink(peer.port, 9600, timeout=0.05)
    got = bytearray()
    errors: list[Exception] = []

    def on_data(data: bytes) -> None:
        if b"!" in data:
            raise ZeroDivisionError("driver bug")
        got.extend(data)

    link.start_reading(on_data, errors.append, name="t", chunk=1, retry_s=0.05)
    try:
        peer.write(b"!")
        wait_for(lambda: errors)
        assert isinstance(errors[0], DriverCallbackError) and "driver bug" in str(errors[0])
        peer.write(b"ok")
        wait_for(lambda: bytes(got) == b"ok")
    finally:
        close_line(link, peer)
