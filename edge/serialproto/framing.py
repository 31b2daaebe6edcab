"""Shared framing: start byte, length, address, command, payload, checksum; streaming resync.

A frame is `START LEN ADDR CMD PAYLOAD... CHK` where LEN counts ADDR, CMD and PAYLOAD
(2..255 bytes) and CHK is the sum of LEN, ADDR, CMD and PAYLOAD modulo 256. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass


class FrameError(ValueError):
    """A garbled frame: what was wrong and the bytes that were dropped (`private`: their count
    only, for a line that carries what citizens type, PRIV-1)."""

    def __init__(self, reason: str, dropped: bytes = b"", *, private: bool = False) -> None:
        shown = f"{len(dropped)} bytes, not shown" if private else dropped.hex(" ")
        super().__init__(f"{reason} (dropped {shown or 'nothing'})")
        self.reason = reason
        self.dropped = b"" if private else dropped


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


def frame_clock(frame_timeout_ms: int) -> tuple[float, float]:
    """(decoder wait, reader tick) in seconds for a frame timeout: the wait plus one idle
    read never exceed the timeout, so a half frame holds a good one back at most that long."""
    timeout_s = frame_timeout_ms / 1000.0
    return timeout_s * 0.75, timeout_s * 0.25


class StreamDecoder:
    """Cuts a byte stream into frames; on garbage, reports it and resyncs on the next start byte.

    A half frame (a stray start byte, a frame cut off) waits for its missing bytes at most
    `frame_timeout_s` after the line's last byte: a feed past that (`now` given; an empty
    feed is the reader's idle tick) reports it and looks for a frame after its start byte,
    so it never holds a good frame back for longer than that.
    """

    def __init__(
        self, start: int, max_len: int = 0xFF, frame_timeout_s: float | None = None
    ) -> None:
        self.start = start
        self.max_len = max_len
        self.frame_timeout_s = frame_timeout_s
        self._buf = bytearray()
        self._resync = False  # after an error, skip to the next start byte without a new error
        self._last_at: float | None = None  # when the line's last byte came

    def _stale(self, now: float | None) -> int:
        """How many held bytes have waited past the frame timeout (all of them or none)."""
        if now is None or self.frame_timeout_s is None or self._last_at is None:
            return 0
        return len(self._buf) if now - self._last_at > self.frame_timeout_s else 0

    def feed(self, data: bytes, now: float | None = None) -> list[RawFrame | FrameError]:
        """Add bytes (received at monotonic `now`); return the frames and errors completed so
        far, in order."""
        stale = self._stale(now)
        self._buf.extend(data)
        if data and now is not None:
            self._last_at = now
        out: list[RawFrame | FrameError] = []
        while self._buf:
            if self._buf[0] != self.start:
                idx = self._buf.find(self.start)
                cut = len(self._buf) if idx < 0 else idx
                if not self._resync:
                    out.append(FrameError("noise before start byte", bytes(self._buf[:cut])))
                del self._buf[:cut]
                stale = max(0, stale - cut)
                continue
            self._resync = False
            length = self._buf[1] if len(self._buf) >= 2 else None
            if length is not None and (length < 2 or length > self.max_len):
                out.append(FrameError(f"bad length {length}", bytes(self._buf[:2])))
                del self._buf[:1]
                stale = max(0, stale - 1)
                self._resync = True
                continue
            total = 2 if length is None else length + 3
            if len(self._buf) < total:
                if not stale:
                    break
                held = bytes(self._buf[: min(stale, total)])
                out.append(FrameError("half frame: the rest never came", held))
                del self._buf[:1]  # a frame may start inside what it held
                stale -= 1
                self._resync = True
                continue
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
                stale = max(0, stale - 1)
                self._resync = True
                continue
            out.append(RawFrame(address=frame[2], command=frame[3], payload=frame[4:-1]))
            del self._buf[:total]
            stale = max(0, stale - total)
        return out

    def pending(self) -> int:
        """Bytes held waiting for the rest of a frame."""
        return len(self._buf)
