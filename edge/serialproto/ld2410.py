"""HLK-LD2410 24 GHz radar: its periodic target report frames (basic and engineering), pure.

A report frame is `F4 F3 F2 F1 | LEN(2, LE) | TYPE AA <target data> [engineering data] 55 00 |
F8 F7 F6 F5`. TYPE is 0x02 (basic) or 0x01 (engineering); the basic target data is the state
byte, moving distance (cm, 2 B LE), moving energy (1 B), stationary distance (2 B), stationary
energy (1 B) and detection distance (2 B). Command/ACK frames (`FD FC FB FA ... 04 03 02 01`)
are recognised and skipped. See firmware_cfg/protocols/ld2410.md for the bytes with examples.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum

REPORT_HEADER = b"\xf4\xf3\xf2\xf1"
REPORT_FOOTER = b"\xf8\xf7\xf6\xf5"
COMMAND_HEADER = b"\xfd\xfc\xfb\xfa"
COMMAND_FOOTER = b"\x04\x03\x02\x01"
HEAD = 0xAA
TAIL = 0x55
CHECK = 0x00
TYPE_ENGINEERING = 0x01
TYPE_BASIC = 0x02
MAX_DATA_LEN = 64
"""Largest in-frame data length accepted (engineering frames are 35 bytes)."""
_TARGET = struct.Struct("<BHBHBH")


class TargetState(IntEnum):
    """The target state byte."""

    NONE = 0
    MOVING = 1
    STATIONARY = 2
    BOTH = 3


@dataclass(frozen=True, slots=True)
class Report:
    """One decoded target report."""

    state: TargetState
    moving_cm: int = 0
    moving_energy: int = 0
    stationary_cm: int = 0
    stationary_energy: int = 0
    detection_cm: int = 0
    engineering: bool = False
    moving_gates: tuple[int, ...] = ()
    stationary_gates: tuple[int, ...] = ()
    extra: bytes = b""

    @property
    def target(self) -> bool:
        """True when the radar sees anyone (moving, stationary or both)."""
        return self.state is not TargetState.NONE

    @property
    def distance_cm(self) -> int:
        """The distance to report: detection distance, else the nearest target distance."""
        if self.detection_cm:
            return self.detection_cm
        candidates = [d for d in (self.moving_cm, self.stationary_cm) if d]
        return min(candidates) if candidates else 0


@dataclass(frozen=True, slots=True)
class Garbage:
    """Bytes that were not part of any valid frame, and why they were dropped."""

    dropped: bytes
    reason: str


@dataclass(frozen=True, slots=True)
class CommandFrame:
    """A command or ACK frame seen on the line (skipped; this driver sends no commands)."""

    data: bytes


def encode_report(report: Report) -> bytes:
    """The exact bytes the radar sends for `report` (basic, or engineering with gate energies)."""
    body = _TARGET.pack(
        int(report.state),
        report.moving_cm,
        report.moving_energy,
        report.stationary_cm,
        report.stationary_energy,
        report.detection_cm,
    )
    if report.engineering:
        if len(report.moving_gates) != len(report.stationary_gates) or not report.moving_gates:
            raise ValueError("engineering frames need equal, non-empty gate energy lists")
        n = len(report.moving_gates) - 1
        body += bytes([n, n, *report.moving_gates, *report.stationary_gates]) + report.extra
        dtype = TYPE_ENGINEERING
    else:
        dtype = TYPE_BASIC
    data = bytes([dtype, HEAD]) + body + bytes([TAIL, CHECK])
    return REPORT_HEADER + struct.pack("<H", len(data)) + data + REPORT_FOOTER


def decode_data(data: bytes) -> Report:
    """Decode the in-frame data (TYPE .. CHECK); ValueError saying what is wrong."""
    if len(data) < 2 + _TARGET.size + 2:
        raise ValueError(f"data too short ({len(data)} bytes)")
    dtype, head = data[0], data[1]
    if dtype not in (TYPE_BASIC, TYPE_ENGINEERING):
        raise ValueError(f"unknown data type 0x{dtype:02x}")
    if head != HEAD:
        raise ValueError(f"bad head 0x{head:02x}")
    if data[-2] != TAIL or data[-1] != CHECK:
        raise ValueError(f"bad tail/check {data[-2:].hex(' ')}")
    state_b, mov_cm, mov_e, stat_cm, stat_e, det_cm = _TARGET.unpack_from(data, 2)
    if state_b > 3:
        raise ValueError(f"bad target state {state_b}")
    if mov_e > 100 or stat_e > 100:
        raise ValueError("energy above 100")
    rest = data[2 + _TARGET.size : -2]
    if dtype == TYPE_BASIC:
        if rest:
            raise ValueError(f"{len(rest)} unexpected bytes in a basic frame")
        return Report(TargetState(state_b), mov_cm, mov_e, stat_cm, stat_e, det_cm)
    if len(rest) < 2:
        raise ValueError("engineering frame without gate counts")
    n_mov, n_stat = rest[0] + 1, rest[1] + 1
    if len(rest) < 2 + n_mov + n_stat:
        raise ValueError("engineering frame shorter than its gate counts")
    gates = rest[2 : 2 + n_mov + n_stat]
    return Report(
        TargetState(state_b),
        mov_cm,
        mov_e,
        stat_cm,
        stat_e,
        det_cm,
        engineering=True,
        moving_gates=tuple(gates[:n_mov]),
        stationary_gates=tuple(gates[n_mov:]),
        extra=bytes(rest[2 + n_mov + n_stat :]),
    )


def decode_frame(frame: bytes) -> Report:
    """Decode one complete report frame (header to footer); ValueError when it is not one."""
    if frame[:4] != REPORT_HEADER or frame[-4:] != REPORT_FOOTER:
        raise ValueError("missing header or footer")
    (length,) = struct.unpack_from("<H", frame, 4)
    if length != len(frame) - 10:
        raise ValueError(f"length field {length} does not match {len(frame) - 10} bytes")
    return decode_data(frame[6:-4])


@dataclass
class StreamDecoder:
    """Cuts the UART byte stream into reports; reports garbage and resyncs on the next header."""

    buffer: bytearray = field(default_factory=bytearray)

    def feed(self, chunk: bytes) -> list[Report | Garbage | CommandFrame]:
        """Add bytes; return everything complete so far, in order."""
        self.buffer += chunk
        out: list[Report | Garbage | CommandFrame] = []
        while True:
            item = self._next()
            if item is None:
                return out
            out.append(item)

    def _next(self) -> Report | Garbage | CommandFrame | None:
        buf = self.buffer
        starts = [i for i in (buf.find(REPORT_HEADER), buf.find(COMMAND_HEADER)) if i >= 0]
        if not starts:
            keep = 3  # a header may be split across reads
            if len(buf) > keep:
                dropped = bytes(buf[:-keep])
                del buf[:-keep]
                return Garbage(dropped, "no frame header")
            return None
        start = min(starts)
        if start:
            dropped = bytes(buf[:start])
            del buf[:start]
            return Garbage(dropped, "bytes before a frame header")
        if len(buf) < 6:
            return None
        (length,) = struct.unpack_from("<H", buf, 4)
        command = buf[:4] == COMMAND_HEADER
        footer = COMMAND_FOOTER if command else REPORT_FOOTER
        if length > MAX_DATA_LEN:
            return self._drop(1, f"length {length} too large")
        end = 6 + length + 4
        if len(buf) < end:
            return None
        if buf[end - 4 : end] != footer:
            return self._drop(1, "missing footer")
        data = bytes(buf[6 : end - 4])
        if command:
            del buf[:end]
            return CommandFrame(data)
        try:
            report = decode_data(data)
        except ValueError as exc:
            return self._drop(end, str(exc))
        del buf[:end]
        return report

    def _drop(self, n: int, reason: str) -> Garbage:
        dropped = bytes(self.buffer[:n])
        del self.buffer[:n]
        return Garbage(dropped, reason)
