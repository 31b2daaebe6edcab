"""MQTT v5 wire primitives: variable byte integers, strings, properties, reason codes."""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import Any


class Reason(IntEnum):
    """The reason codes the broker sends."""

    SUCCESS = 0x00
    GRANTED_QOS_1 = 0x01
    DISCONNECT_WITH_WILL = 0x04
    NO_SUBSCRIPTION_EXISTED = 0x11
    MALFORMED = 0x81
    PROTOCOL_ERROR = 0x82
    UNSUPPORTED_PROTOCOL_VERSION = 0x84
    CLIENT_ID_NOT_VALID = 0x85
    KEEP_ALIVE_TIMEOUT = 0x8D
    SESSION_TAKEN_OVER = 0x8E
    TOPIC_FILTER_INVALID = 0x8F
    TOPIC_NAME_INVALID = 0x90
    PACKET_TOO_LARGE = 0x95
    QOS_NOT_SUPPORTED = 0x9B


# Property identifiers (section 2.2.2.2)
PAYLOAD_FORMAT = 0x01
MESSAGE_EXPIRY = 0x02
CONTENT_TYPE = 0x03
RESPONSE_TOPIC = 0x08
CORRELATION_DATA = 0x09
SUBSCRIPTION_ID = 0x0B
SESSION_EXPIRY = 0x11
ASSIGNED_CLIENT_ID = 0x12
SERVER_KEEP_ALIVE = 0x13
AUTH_METHOD = 0x15
AUTH_DATA = 0x16
REQUEST_PROBLEM_INFO = 0x17
WILL_DELAY = 0x18
REQUEST_RESPONSE_INFO = 0x19
RESPONSE_INFO = 0x1A
SERVER_REFERENCE = 0x1C
REASON_STRING = 0x1F
RECEIVE_MAXIMUM = 0x21
TOPIC_ALIAS_MAXIMUM = 0x22
TOPIC_ALIAS = 0x23
MAXIMUM_QOS = 0x24
RETAIN_AVAILABLE = 0x25
USER_PROPERTY = 0x26
MAXIMUM_PACKET_SIZE = 0x27
WILDCARD_SUB_AVAILABLE = 0x28
SUB_ID_AVAILABLE = 0x29
SHARED_SUB_AVAILABLE = 0x2A

_PROP_KIND = {
    **dict.fromkeys(
        (PAYLOAD_FORMAT, REQUEST_PROBLEM_INFO, REQUEST_RESPONSE_INFO, MAXIMUM_QOS),
        "byte",
    ),
    **dict.fromkeys(
        (RETAIN_AVAILABLE, WILDCARD_SUB_AVAILABLE, SUB_ID_AVAILABLE, SHARED_SUB_AVAILABLE), "byte"
    ),
    **dict.fromkeys((SERVER_KEEP_ALIVE, RECEIVE_MAXIMUM, TOPIC_ALIAS_MAXIMUM, TOPIC_ALIAS), "int2"),
    **dict.fromkeys((MESSAGE_EXPIRY, SESSION_EXPIRY, WILL_DELAY, MAXIMUM_PACKET_SIZE), "int4"),
    **dict.fromkeys(
        (CONTENT_TYPE, RESPONSE_TOPIC, ASSIGNED_CLIENT_ID, AUTH_METHOD, RESPONSE_INFO), "str"
    ),
    **dict.fromkeys((SERVER_REFERENCE, REASON_STRING), "str"),
    **dict.fromkeys((CORRELATION_DATA, AUTH_DATA), "bin"),
    SUBSCRIPTION_ID: "varint",
    USER_PROPERTY: "pair",
}
_MULTI = (USER_PROPERTY, SUBSCRIPTION_ID)
"""Properties that may appear more than once: their value is a list."""

Properties = dict[int, Any]
MAX_VARINT = 268_435_455


class MalformedPacket(ValueError):
    """The bytes are not a valid MQTT v5 packet; `reason` is the code to disconnect with."""

    def __init__(self, message: str, reason: int = Reason.MALFORMED) -> None:
        super().__init__(message)
        self.reason = reason


# ---- primitives -----------------------------------------------------------------------------


def encode_varint(value: int) -> bytes:
    """Variable Byte Integer (section 1.5.5): 1 to 4 bytes, 7 bits each, low bits first."""
    if not 0 <= value <= MAX_VARINT:
        raise ValueError(f"variable byte integer out of range: {value}")
    out = bytearray()
    while True:
        byte, value = value % 128, value // 128
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def decode_varint(data: bytes | bytearray, pos: int = 0) -> tuple[int, int]:
    """(value, position after it); IndexError when the bytes end inside it."""
    value, mult = 0, 1
    for i in range(4):
        byte = data[pos + i]
        value += (byte & 0x7F) * mult
        if not byte & 0x80:
            return value, pos + i + 1
        mult *= 128
    raise MalformedPacket("variable byte integer longer than 4 bytes")


def enc_str(s: str) -> bytes:
    """A UTF-8 string with its 2-byte length."""
    raw = s.encode("utf-8")
    return struct.pack("!H", len(raw)) + raw


def enc_bin(b: bytes) -> bytes:
    """Binary data with its 2-byte length."""
    return struct.pack("!H", len(b)) + b


def encode_properties(props: Properties) -> bytes:
    """The property block: its length (varint) then each property."""
    out = bytearray()
    for pid, value in props.items():
        kind = _PROP_KIND.get(pid)
        if kind is None:
            raise ValueError(f"unknown property 0x{pid:02x}")
        for v in value if pid in _MULTI else [value]:
            out += encode_varint(pid)
            if kind == "byte":
                out.append(v)
            elif kind == "int2":
                out += struct.pack("!H", v)
            elif kind == "int4":
                out += struct.pack("!I", v)
            elif kind == "varint":
                out += encode_varint(v)
            elif kind == "str":
                out += enc_str(v)
            elif kind == "bin":
                out += enc_bin(v)
            else:
                out += enc_str(v[0]) + enc_str(v[1])
    return encode_varint(len(out)) + bytes(out)


class Reader:
    """Cursor over a packet body; every read checks the bounds."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        """The next n bytes."""
        if self.pos + n > len(self.data):
            raise MalformedPacket("packet ends early")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def byte(self) -> int:
        """One byte."""
        return self.take(1)[0]

    def int2(self) -> int:
        """A two-byte integer (big endian)."""
        return int(struct.unpack("!H", self.take(2))[0])

    def int4(self) -> int:
        """A four-byte integer (big endian)."""
        return int(struct.unpack("!I", self.take(4))[0])

    def varint(self) -> int:
        """A variable byte integer."""
        try:
            value, self.pos = decode_varint(self.data, self.pos)
        except IndexError:
            raise MalformedPacket("packet ends inside a variable byte integer") from None
        return value

    def bin(self) -> bytes:
        """Binary data with a two-byte length."""
        return self.take(self.int2())

    def str(self) -> str:
        """A UTF-8 string with a two-byte length (no U+0000)."""
        try:
            text = self.bin().decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedPacket("string is not UTF-8") from None
        if "\x00" in text:
            raise MalformedPacket("string contains U+0000")
        return text

    def rest(self) -> bytes:
        """Everything left (a PUBLISH payload, reason codes)."""
        return self.take(len(self.data) - self.pos)

    @property
    def left(self) -> int:
        """Bytes not read yet."""
        return len(self.data) - self.pos

    def properties(self) -> Properties:
        """A property block (length, then properties)."""
        end = self.varint()
        end += self.pos
        if end > len(self.data):
            raise MalformedPacket("property length beyond the packet")
        props: Properties = {}
        while self.pos < end:
            pid = self.varint()
            kind = _PROP_KIND.get(pid)
            if kind is None:
                raise MalformedPacket(f"unknown property 0x{pid:02x}")
            value: Any
            if kind == "byte":
                value = self.byte()
            elif kind == "int2":
                value = self.int2()
            elif kind == "int4":
                value = self.int4()
            elif kind == "varint":
                value = self.varint()
            elif kind == "str":
                value = self.str()
            elif kind == "bin":
                value = self.bin()
            else:
                value = (self.str(), self.str())
            if pid in _MULTI:
                props.setdefault(pid, []).append(value)
            elif pid in props:
                raise MalformedPacket(f"property 0x{pid:02x} given twice", Reason.PROTOCOL_ERROR)
            else:
                props[pid] = value
        if self.pos != end:
            raise MalformedPacket("property block overruns its length")
        return props
