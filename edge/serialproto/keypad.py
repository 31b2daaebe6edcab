"""The counter keypad's frame protocol (firmware_cfg/protocols/counter_keypad.md). Pure.

Keypad -> host: `AA LEN ADDR KEY PAYLOAD... CHK`. KEY names the action; `call` carries the
ticket in ASCII, `transfer` carries `S` or `W` and an ASCII service code or window id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from edge.serialproto.framing import FrameError, RawFrame, StreamDecoder, encode_raw

START = 0xAA
"""Start byte of every keypad frame."""

KEYS: dict[int, str] = {
    0x01: "next",
    0x02: "recall",
    0x03: "skip",
    0x04: "transfer",
    0x05: "pause",
    0x06: "resume",
    0x07: "call",
    0x08: "start",
    0x09: "finish",
    0x0A: "park",
}
"""Key code -> action (the values of models.events.CallAction)."""
CODES: dict[str, int] = {v: k for k, v in KEYS.items()}

_TICKET = re.compile(r"^[A-Z]{1,3}[0-9]{1,4}$")
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


@dataclass(frozen=True, slots=True)
class KeyPress:
    """One decoded key press."""

    address: int
    action: str
    ticket: str | None = None
    target_service: str | None = None
    target_window: str | None = None


def encode_key(press: KeyPress) -> bytes:
    """The frame a keypad sends for a key press; ValueError when it cannot be encoded."""
    if press.action not in CODES:
        raise ValueError(f"unknown action {press.action!r}")
    payload = b""
    if press.action == "call":
        if press.ticket is None or not _TICKET.match(press.ticket):
            raise ValueError("call needs a ticket like A012")
        payload = press.ticket.encode("ascii")
    elif press.action == "transfer":
        if (press.target_service is None) == (press.target_window is None):
            raise ValueError("transfer needs exactly one of target_service, target_window")
        kind, code = (
            ("S", press.target_service) if press.target_service else ("W", press.target_window)
        )
        assert code is not None
        if not _CODE.match(code):
            raise ValueError(f"bad transfer target {code!r}")
        payload = kind.encode() + code.encode("ascii")
    return encode_raw(START, press.address, CODES[press.action], payload)


def _decode(frame: RawFrame) -> KeyPress | FrameError:
    action = KEYS.get(frame.command)
    if action is None:
        return FrameError(f"unknown key 0x{frame.command:02x}")
    try:
        text = frame.payload.decode("ascii")
    except UnicodeDecodeError:
        return FrameError(f"{action}: payload is not ASCII", frame.payload)
    if action == "call":
        if not _TICKET.match(text):
            return FrameError(f"call: bad ticket {text!r}", frame.payload)
        return KeyPress(frame.address, action, ticket=text)
    if action == "transfer":
        kind, code = text[:1], text[1:]
        if kind not in ("S", "W") or not _CODE.match(code):
            return FrameError(f"transfer: bad target {text!r}", frame.payload)
        if kind == "S":
            return KeyPress(frame.address, action, target_service=code)
        return KeyPress(frame.address, action, target_window=code)
    if frame.payload:
        return FrameError(f"{action}: unexpected payload", frame.payload)
    return KeyPress(frame.address, action)


class KeypadDecoder:
    """Streams keypad bytes into key presses and errors (garbled frame, unknown key)."""

    def __init__(self, frame_timeout_s: float | None = None) -> None:
        self._frames = StreamDecoder(START, 2 + 33, frame_timeout_s)

    def feed(self, data: bytes, now: float | None = None) -> list[KeyPress | FrameError]:
        """Add bytes (received at monotonic `now`); return the presses and errors so far."""
        return [
            item if isinstance(item, FrameError) else _decode(item)
            for item in self._frames.feed(data, now)
        ]
