"""The rating device's frame protocol (firmware_cfg/protocols/rating_device.md). Pure.

Both directions: `5A LEN ADDR CMD PAYLOAD... CHK` (edge/serialproto/framing.py). Host -> device:
SHOW (who serves, which ticket), PROMPT (ask to rate), ASK_REASON (list of reasons), THANKS,
ASK_PHONE (offer to leave a phone number for the call back). Device -> host: PRESS (dimension
+ level 1..5), REASON (1-based index into the list asked), PHONE (the digits typed, or none).
Text is UTF-8, fields separated by 0x1F.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from edge.serialproto.framing import FrameError, RawFrame, StreamDecoder, encode_raw

START = 0x5A
"""Start byte of every rating device frame, both directions."""
CMD_SHOW = 0x10
CMD_PROMPT = 0x11
CMD_ASK_REASON = 0x12
CMD_THANKS = 0x13
CMD_ASK_PHONE = 0x14
CMD_PRESS = 0x20
CMD_REASON = 0x21
CMD_PHONE = 0x22
MAX_PHONE = 20
"""Longest PHONE payload: digits and '-' of a mobile or a landline with its area code."""
SEP = 0x1F
"""Field separator inside text payloads."""
DIMENSIONS: tuple[str, ...] = ("overall", "attitude", "efficiency", "service_level")
"""Dimension code by index (PRESS byte 0); bit i of PROMPT's mask asks for dimension i (RATE-1:
the national 好差评 offline dimensions 总体满意度, 服务态度, 办事效率, 服务水平)."""
LEVELS: dict[int, str] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
"""The five levels a citizen can press (RATE-1)."""
_TICKET = re.compile(r"^[A-Z]{1,3}[0-9]{1,4}$")
_STAFF = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True, slots=True)
class ShowFrame:
    """Host -> device: show the serving staff member (number and name) and the ticket."""

    address: int
    staff_no: str = ""
    name: str = ""
    ticket: str = ""


@dataclass(frozen=True, slots=True)
class PromptFrame:
    """Host -> device: ask the citizen to rate these dimensions within `timeout_s`."""

    address: int
    dimensions: tuple[str, ...]
    timeout_s: int


@dataclass(frozen=True, slots=True)
class AskReasonFrame:
    """Host -> device: ask why, offering these reason labels (numbered from 1)."""

    address: int
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ThanksFrame:
    """Host -> device: the rating was taken."""

    address: int


@dataclass(frozen=True, slots=True)
class AskPhoneFrame:
    """Host -> device: offer to leave a phone number for a call back within `timeout_s`."""

    address: int
    timeout_s: int


@dataclass(frozen=True, slots=True)
class Press:
    """Device -> host: the citizen pressed `level` (1..5) for `dimension`."""

    address: int
    dimension: str
    level: int


@dataclass(frozen=True, slots=True)
class ReasonChoice:
    """Device -> host: the citizen chose reason number `index` (1-based)."""

    address: int
    index: int


@dataclass(frozen=True, slots=True)
class PhoneEntry:
    """Device -> host: the phone number typed (digits and '-'); empty when the citizen skipped."""

    address: int
    digits: str


HostFrame = ShowFrame | PromptFrame | AskReasonFrame | ThanksFrame | AskPhoneFrame
DeviceFrame = Press | ReasonChoice | PhoneEntry
_PHONE = re.compile(r"^[0-9-]{0,20}$")


def _text(fields: list[str]) -> bytes:
    payload = bytes([SEP]).join(f.encode("utf-8") for f in fields)
    if len(payload) > 253:
        raise ValueError(f"text of {len(payload)} bytes is too long (at most 253)")
    return payload


def encode_show(frame: ShowFrame) -> bytes:
    """SHOW: staff number, name and ticket (each may be empty: an empty SHOW is the idle screen)."""
    if frame.staff_no and not _STAFF.match(frame.staff_no):
        raise ValueError(f"bad staff number {frame.staff_no!r}")
    if frame.ticket and not _TICKET.match(frame.ticket):
        raise ValueError(f"bad ticket {frame.ticket!r}")
    name = frame.name.replace(chr(SEP), " ")
    return encode_raw(START, frame.address, CMD_SHOW, _text([frame.staff_no, name, frame.ticket]))


def encode_prompt(frame: PromptFrame) -> bytes:
    """PROMPT: dimension mask (bit 0 overall, 1 attitude, 2 efficiency, 3 service level) and
    timeout seconds."""
    mask = 0
    for dim in frame.dimensions:
        mask |= 1 << DIMENSIONS.index(dim)
    if not 1 <= frame.timeout_s <= 255:
        raise ValueError("timeout_s must be 1..255")
    return encode_raw(START, frame.address, CMD_PROMPT, bytes([mask, frame.timeout_s]))


def encode_ask_reason(frame: AskReasonFrame) -> bytes:
    """ASK_REASON: the reason labels, numbered from 1 on the device's screen."""
    if not 1 <= len(frame.labels) <= 9:
        raise ValueError("1..9 reasons")
    return encode_raw(START, frame.address, CMD_ASK_REASON, _text(list(frame.labels)))


def encode_thanks(frame: ThanksFrame) -> bytes:
    """THANKS: no payload."""
    return encode_raw(START, frame.address, CMD_THANKS)


def encode_ask_phone(frame: AskPhoneFrame) -> bytes:
    """ASK_PHONE: timeout seconds for the citizen to type a number or skip."""
    if not 1 <= frame.timeout_s <= 255:
        raise ValueError("timeout_s must be 1..255")
    return encode_raw(START, frame.address, CMD_ASK_PHONE, bytes([frame.timeout_s]))


def encode_host(frame: HostFrame) -> bytes:
    """Any host -> device frame."""
    if isinstance(frame, ShowFrame):
        return encode_show(frame)
    if isinstance(frame, PromptFrame):
        return encode_prompt(frame)
    if isinstance(frame, AskReasonFrame):
        return encode_ask_reason(frame)
    if isinstance(frame, AskPhoneFrame):
        return encode_ask_phone(frame)
    return encode_thanks(frame)


def encode_press(press: Press) -> bytes:
    """PRESS: dimension index and level."""
    if not 1 <= press.level <= 5:
        raise ValueError("level must be 1..5")
    dim = DIMENSIONS.index(press.dimension)
    return encode_raw(START, press.address, CMD_PRESS, bytes([dim, press.level]))


def encode_reason(choice: ReasonChoice) -> bytes:
    """REASON: the 1-based index of the reason chosen."""
    if not 1 <= choice.index <= 9:
        raise ValueError("reason index must be 1..9")
    return encode_raw(START, choice.address, CMD_REASON, bytes([choice.index]))


def encode_phone(entry: PhoneEntry) -> bytes:
    """PHONE: the digits typed (ASCII), empty when skipped."""
    if not _PHONE.match(entry.digits):
        raise ValueError("a phone entry is at most 20 digits and '-'")
    return encode_raw(START, entry.address, CMD_PHONE, entry.digits.encode("ascii"))


def _split(payload: bytes) -> list[str] | FrameError:
    try:
        return payload.decode("utf-8").split(chr(SEP))
    except UnicodeDecodeError:
        return FrameError("text is not UTF-8", payload)


def decode_host(frame: RawFrame) -> HostFrame | FrameError:
    """A host frame from its raw parts (the simulated device uses this)."""
    cmd, p, a = frame.command, frame.payload, frame.address
    if cmd == CMD_SHOW:
        fields = _split(p)
        if isinstance(fields, FrameError):
            return fields
        if len(fields) != 3:
            return FrameError(f"show: {len(fields)} fields, expected 3", p)
        return ShowFrame(a, fields[0], fields[1], fields[2])
    if cmd == CMD_PROMPT:
        if len(p) != 2 or p[0] == 0 or p[0] >> len(DIMENSIONS):
            return FrameError("prompt: bad payload", p)
        dims = tuple(d for i, d in enumerate(DIMENSIONS) if p[0] & (1 << i))
        return PromptFrame(a, dims, p[1])
    if cmd == CMD_ASK_REASON:
        labels = _split(p)
        if isinstance(labels, FrameError):
            return labels
        return AskReasonFrame(a, tuple(labels))
    if cmd == CMD_THANKS and not p:
        return ThanksFrame(a)
    if cmd == CMD_ASK_PHONE and len(p) == 1 and p[0]:
        return AskPhoneFrame(a, p[0])
    return FrameError(f"unknown host command 0x{cmd:02x}", p)


def decode_device(frame: RawFrame) -> DeviceFrame | FrameError:
    """A device frame from its raw parts (the driver uses this)."""
    cmd, p, a = frame.command, frame.payload, frame.address
    if cmd == CMD_PRESS:
        if len(p) != 2 or p[0] >= len(DIMENSIONS) or not 1 <= p[1] <= 5:
            return FrameError(f"press: bad payload {p.hex(' ')}", p)
        return Press(a, DIMENSIONS[p[0]], p[1])
    if cmd == CMD_REASON:
        if len(p) != 1 or not 1 <= p[0] <= 9:
            return FrameError(f"reason: bad payload {p.hex(' ')}", p)
        return ReasonChoice(a, p[0])
    if cmd == CMD_PHONE:
        digits = p.decode("ascii", errors="replace")
        if len(p) > MAX_PHONE or not _PHONE.match(digits):
            why = "phone: bad payload (not digits and '-', or too long)"
            return FrameError(why, p, private=True)
        return PhoneEntry(a, digits)
    return FrameError(f"unknown device command 0x{cmd:02x}", p)


class RatingDecoder:
    """Streams bytes from the device into presses, reason choices, phone entries and errors."""

    def __init__(self, frame_timeout_s: float | None = None) -> None:
        self._frames = StreamDecoder(START, 2 + MAX_PHONE, frame_timeout_s)

    def feed(self, data: bytes, now: float | None = None) -> list[DeviceFrame | FrameError]:
        """Add bytes (received at monotonic `now`); return what was completed so far, in order.
        A garbled frame keeps no bytes: it may hold digits a citizen typed (rule PRIV-1)."""
        return [
            FrameError(i.reason, i.dropped, private=True)
            if isinstance(i, FrameError)
            else decode_device(i)
            for i in self._frames.feed(data, now)
        ]


class HostDecoder:
    """Streams bytes from the host into host frames (the simulated device's side)."""

    def __init__(self) -> None:
        self._frames = StreamDecoder(START)

    def feed(self, data: bytes) -> list[HostFrame | FrameError]:
        """Add bytes; return what was completed so far, in order."""
        return [i if isinstance(i, FrameError) else decode_host(i) for i in self._frames.feed(data)]
