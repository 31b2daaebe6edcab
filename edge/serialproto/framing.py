"""Shared framing: start byte, length, address, command, payload, checksum; streaming resync.

A frame is `START LEN ADDR CMD PAYLOAD... CHK` where LEN counts ADDR, CMD and PAYLOAD
(2..255 bytes) and CHK is the sum of LEN, ADDR, CMD and PAYLOAD modulo 256. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass


class FrameError(ValueError):
    """A garbled frame: what was wrong and the bytes that were dropped."""

    def __init__(self, reason: str, dropped: bytes = b"") -> None:
        super().__init__(f"{reason} (dropped {dropped.hex(' ') or 'nothing'})")
        self.reason = reason
        self.dropped = dropped


@dataclass(frozen=True, slots=True)
class RawFrame:
    """One well-formed frame: address, command byte and payload."""

    address: int
    command: int
    payload: bytes


def checksum(body: bytes) -> int:
    """Sum of the bytes modulo 256."""
    return sum(body) & 0xFF


def encode_raw(start: int, address: int, command: int, payload: bytes = b"") -> bytes:
    """Build a frame; ValueError when a field does not fit."""
    if not 0 <= address <= 0xFF or not 0 <= command <= 0xFF:
        raise ValueError("address and command must each fit in one byte")
    length = 2 + len(payload)
    if length > 0xFF:
        raise ValueError(f"payload of {len(payload)} bytes is too long (at most 253)")
    body = bytes([length, address, command]) + payload
    return bytes([start]) + body + bytes([checksum(body)])


class StreamDecoder:
    """Cuts a byte stream into frames; on garbage, reports it and resyncs on the next start byte."""

    def __init__(self, start: int, max_len: int = 0xFF) -> None:
        self.start = start
        self.max_len = max_len
        self._buf = bytearray()
        self._resync = False  # after an error, skip to the next start byte without a new error

    def feed(self, data: bytes) -> list[RawFrame | FrameError]:
        """Add bytes; return the frames and errors completed so far, in order."""
        self._buf.extend(data)
        out: list[RawFrame | FrameError] = []
        while self._buf:
            if self._buf[0] != self.start:
                idx = self._buf.find(self.start)
                cut = len(self._buf) if idx < 0 else idx
                if not self._resync:
                    out.append(FrameError("noise before start byte", bytes(self._buf[:cut])))
                del self._buf[:cut]
                continue
            self._resync = False
            if len(self._buf) < 2:
                break
            length = self._buf[1]
            if length < 2 or length > self.max_len:
                out.append(FrameError(f"bad length {length}", bytes(self._buf[:2])))
                del self._buf[:1]
                self._resync = True
                continue
            total = length + 3
            if len(self._buf) < total:
                break
            frame = bytes(self._buf[:total])
            body = frame[1:-1]
            if checksum(body) != frame[-1]:
                out.append(
                    FrameError(
                        f"checksum mismatch: got {frame[-1]:02x}, expected {checksum(body):02x}",
                        frame,
                    )
                )
                del self._buf[:1]  # resync: the next start byte may begin a good frame
                self._resync = True
                continue
            out.append(RawFrame(address=frame[2], command=frame[3], payload=frame[4:-1]))
            del self._buf[:total]
        return out

    def pending(self) -> int:
        """Bytes held waiting for the rest of a frame."""
        return len(self._buf)
