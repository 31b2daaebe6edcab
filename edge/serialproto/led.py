"""The RS-485 counter LED display's frame protocol (firmware_cfg/protocols/counter_led.md). Pure.

Host -> display: `A5 LEN ADDR CMD PAYLOAD... CHK`; the display with that address answers
`A5 03 ADDR (CMD|0x80) STATUS CHK`. Text is GB2312 (what LED controllers in China take).
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.serialproto.framing import FrameError, RawFrame, StreamDecoder, encode_raw

START = 0xA5
"""Start byte of every display frame, both directions."""
CMD_SHOW = 0x01
"""Show text: payload = line (1 byte) + GB2312 text."""
CMD_CLEAR = 0x02
"""Clear a line: payload = line (1 byte)."""
ACK_BIT = 0x80
"""Set in the command byte of an answer."""
STATUS_OK = 0x00
STATUS_BAD_TEXT = 0x02
STATUS_UNKNOWN = 0x01
MAX_TEXT_BYTES = 252
"""Longest GB2312 text one frame carries."""
ENCODING = "gb2312"


@dataclass(frozen=True, slots=True)
class Show:
    """A decoded host command: show `text` on `line` (empty text with CMD_CLEAR clears)."""

    address: int
    line: int
    text: str
    clear: bool = False


@dataclass(frozen=True, slots=True)
class Ack:
    """A decoded display answer."""

    address: int
    command: int
    status: int


def encode_text(text: str) -> bytes:
    """GB2312 bytes of `text`, characters outside GB2312 as `?`, cut to MAX_TEXT_BYTES."""
    out = bytearray()
    for ch in text:
        b = ch.encode(ENCODING, errors="replace")
        if len(out) + len(b) > MAX_TEXT_BYTES:
            break
        out.extend(b)
    return bytes(out)


def encode_show(address: int, text: str, line: int = 0) -> bytes:
    """The frame that shows `text` on a display line."""
    if not 0 <= line <= 0xFF:
        raise ValueError("line must fit in one byte")
    return encode_raw(START, address, CMD_SHOW, bytes([line]) + encode_text(text))


def encode_clear(address: int, line: int = 0) -> bytes:
    """The frame that clears a display line."""
    return encode_raw(START, address, CMD_CLEAR, bytes([line]))


def encode_ack(address: int, command: int, status: int = STATUS_OK) -> bytes:
    """The answer a display sends for a command."""
    return encode_raw(START, address, command | ACK_BIT, bytes([status]))


def _decode(frame: RawFrame) -> Show | Ack | FrameError:
    if frame.command & ACK_BIT:
        if len(frame.payload) != 1:
            return FrameError("answer must carry one status byte", frame.payload)
        return Ack(frame.address, frame.command & ~ACK_BIT, frame.payload[0])
    if frame.command not in (CMD_SHOW, CMD_CLEAR):
        return FrameError(f"unknown command 0x{frame.command:02x}")
    if not frame.payload:
        return FrameError("missing line byte")
    line = frame.payload[0]
    if frame.command == CMD_CLEAR:
        return Show(frame.address, line, "", clear=True)
    try:
        text = frame.payload[1:].decode(ENCODING)
    except UnicodeDecodeError:
        return FrameError("text is not GB2312", frame.payload)
    return Show(frame.address, line, text)


class LedDecoder:
    """Streams display-bus bytes into commands, answers and errors."""

    def __init__(self) -> None:
        self._frames = StreamDecoder(START)

    def feed(self, data: bytes) -> list[Show | Ack | FrameError]:
        """Add bytes; return what was completed so far."""
        return [
            item if isinstance(item, FrameError) else _decode(item)
            for item in self._frames.feed(data)
        ]
