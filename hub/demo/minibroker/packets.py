"""Pure encode/decode of the MQTT v5 packets the demo broker speaks (no I/O).

Covers CONNECT, CONNACK, PUBLISH, PUBACK, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ,
PINGRESP and DISCONNECT (MQTT v5.0, OASIS standard, chapter 2 and 3). PUBREC/PUBREL/PUBCOMP
(QoS 2) and AUTH are recognised only to be refused. Primitives and properties: `wire`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum

from hub.demo.minibroker.wire import (
    MAX_VARINT,
    MalformedPacket,
    Properties,
    Reader,
    Reason,
    decode_varint,
    enc_bin,
    enc_str,
    encode_properties,
    encode_varint,
)


class PacketType(IntEnum):
    """The control packet types (fixed header, upper four bits)."""

    CONNECT = 1
    CONNACK = 2
    PUBLISH = 3
    PUBACK = 4
    PUBREC = 5
    PUBREL = 6
    PUBCOMP = 7
    SUBSCRIBE = 8
    SUBACK = 9
    UNSUBSCRIBE = 10
    UNSUBACK = 11
    PINGREQ = 12
    PINGRESP = 13
    DISCONNECT = 14
    AUTH = 15


class UnsupportedProtocol(MalformedPacket):
    """A CONNECT with a protocol level other than 5 (MQTT 3.1 / 3.1.1)."""

    def __init__(self, level: int) -> None:
        super().__init__(f"protocol level {level} (only MQTT v5 is spoken)", 0x84)
        self.level = level


# ---- packets --------------------------------------------------------------------------------


@dataclass
class Will:
    """The will message carried in CONNECT."""

    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False
    properties: Properties = field(default_factory=dict)


@dataclass
class Connect:
    """CONNECT (client to server)."""

    client_id: str
    clean_start: bool = True
    keepalive: int = 60
    properties: Properties = field(default_factory=dict)
    will: Will | None = None
    username: str | None = None
    password: bytes | None = None


@dataclass
class Connack:
    """CONNACK."""

    session_present: bool = False
    reason: int = 0
    properties: Properties = field(default_factory=dict)


@dataclass
class Publish:
    """PUBLISH (either direction)."""

    topic: str
    payload: bytes = b""
    qos: int = 0
    retain: bool = False
    dup: bool = False
    packet_id: int | None = None
    properties: Properties = field(default_factory=dict)


@dataclass
class Puback:
    """PUBACK (also used to carry PUBREC/PUBREL/PUBCOMP, refused with their type kept)."""

    packet_id: int
    reason: int = 0
    properties: Properties = field(default_factory=dict)
    kind: PacketType = PacketType.PUBACK


@dataclass(frozen=True)
class SubOptions:
    """Subscription options byte (section 3.8.3.1)."""

    qos: int = 0
    no_local: bool = False
    retain_as_published: bool = False
    retain_handling: int = 0


@dataclass
class Subscribe:
    """SUBSCRIBE."""

    packet_id: int
    topics: list[tuple[str, SubOptions]]
    properties: Properties = field(default_factory=dict)


@dataclass
class Suback:
    """SUBACK (one reason code per requested filter)."""

    packet_id: int
    reasons: list[int]
    properties: Properties = field(default_factory=dict)


@dataclass
class Unsubscribe:
    """UNSUBSCRIBE."""

    packet_id: int
    filters: list[str]
    properties: Properties = field(default_factory=dict)


@dataclass
class Unsuback:
    """UNSUBACK."""

    packet_id: int
    reasons: list[int]
    properties: Properties = field(default_factory=dict)


@dataclass
class Pingreq:
    """PINGREQ."""


@dataclass
class Pingresp:
    """PINGRESP."""


@dataclass
class Disconnect:
    """DISCONNECT (either direction)."""

    reason: int = 0
    properties: Properties = field(default_factory=dict)


@dataclass
class Auth:
    """AUTH (recognised, never supported)."""

    reason: int = 0


Packet = (
    Connect
    | Connack
    | Publish
    | Puback
    | Subscribe
    | Suback
    | Unsubscribe
    | Unsuback
    | Pingreq
    | Pingresp
    | Disconnect
    | Auth
)

# ---- encode ---------------------------------------------------------------------------------


def _frame(kind: PacketType, flags: int, body: bytes) -> bytes:
    return bytes([(kind << 4) | flags]) + encode_varint(len(body)) + body


def _acklike(packet_id: int, reason: int, props: Properties) -> bytes:
    """PUBACK-style body: packet id, then reason and properties only when needed (3.4.2.1)."""
    body = struct.pack("!H", packet_id)
    if reason or props:
        body += bytes([reason]) + encode_properties(props)
    return body


def encode(packet: Packet) -> bytes:
    """The full bytes of one packet (fixed header included)."""
    if isinstance(packet, Publish):
        flags = (packet.dup << 3) | (packet.qos << 1) | int(packet.retain)
        body = enc_str(packet.topic)
        if packet.qos:
            if packet.packet_id is None:
                raise ValueError("QoS > 0 PUBLISH needs a packet id")
            body += struct.pack("!H", packet.packet_id)
        body += encode_properties(packet.properties) + packet.payload
        return _frame(PacketType.PUBLISH, flags, body)
    if isinstance(packet, Puback):
        flags = 2 if packet.kind == PacketType.PUBREL else 0
        return _frame(
            packet.kind, flags, _acklike(packet.packet_id, packet.reason, packet.properties)
        )
    if isinstance(packet, Connack):
        body = bytes([int(packet.session_present), packet.reason])
        return _frame(PacketType.CONNACK, 0, body + encode_properties(packet.properties))
    if isinstance(packet, Connect):
        return _frame(PacketType.CONNECT, 0, _connect_body(packet))
    if isinstance(packet, Subscribe):
        body = struct.pack("!H", packet.packet_id) + encode_properties(packet.properties)
        for topic, o in packet.topics:
            opts = o.qos | (o.no_local << 2) | (o.retain_as_published << 3)
            body += enc_str(topic) + bytes([opts | (o.retain_handling << 4)])
        return _frame(PacketType.SUBSCRIBE, 2, body)
    if isinstance(packet, Suback | Unsuback):
        kind = PacketType.SUBACK if isinstance(packet, Suback) else PacketType.UNSUBACK
        body = struct.pack("!H", packet.packet_id) + encode_properties(packet.properties)
        return _frame(kind, 0, body + bytes(packet.reasons))
    if isinstance(packet, Unsubscribe):
        body = struct.pack("!H", packet.packet_id) + encode_properties(packet.properties)
        return _frame(
            PacketType.UNSUBSCRIBE, 2, body + b"".join(enc_str(f) for f in packet.filters)
        )
    if isinstance(packet, Pingreq):
        return _frame(PacketType.PINGREQ, 0, b"")
    if isinstance(packet, Pingresp):
        return _frame(PacketType.PINGRESP, 0, b"")
    if isinstance(packet, Disconnect):
        body = b""
        if packet.reason or packet.properties:
            body = bytes([packet.reason]) + encode_properties(packet.properties)
        return _frame(PacketType.DISCONNECT, 0, body)
    if isinstance(packet, Auth):
        return _frame(PacketType.AUTH, 0, bytes([packet.reason, 0]))
    raise TypeError(f"cannot encode {packet!r}")


def _connect_body(p: Connect) -> bytes:
    flags = int(p.clean_start) << 1
    if p.will is not None:
        flags |= 0x04 | (p.will.qos << 3) | (int(p.will.retain) << 5)
    if p.password is not None:
        flags |= 0x40
    if p.username is not None:
        flags |= 0x80
    body = enc_str("MQTT") + bytes([5, flags]) + struct.pack("!H", p.keepalive)
    body += encode_properties(p.properties) + enc_str(p.client_id)
    if p.will is not None:
        body += (
            encode_properties(p.will.properties) + enc_str(p.will.topic) + enc_bin(p.will.payload)
        )
    if p.username is not None:
        body += enc_str(p.username)
    if p.password is not None:
        body += enc_bin(p.password)
    return body


# ---- decode ---------------------------------------------------------------------------------


def split_packet(
    buf: bytes | bytearray, max_size: int = MAX_VARINT
) -> tuple[int, bytes, int] | None:
    """(first byte, body, bytes used) of the first whole packet in buf; None if incomplete."""
    if len(buf) < 2:
        return None
    try:
        length, start = decode_varint(buf, 1)
    except IndexError:
        return None
    if length > max_size:
        raise MalformedPacket(f"packet of {length} bytes is too large", Reason.PACKET_TOO_LARGE)
    if len(buf) < start + length:
        return None
    return buf[0], bytes(buf[start : start + length]), start + length


def decode(first: int, body: bytes) -> Packet:
    """One packet from its fixed header's first byte and its body."""
    try:
        kind = PacketType(first >> 4)
    except ValueError:
        raise MalformedPacket(f"reserved packet type {first >> 4}") from None
    flags = first & 0x0F
    r = Reader(body)
    expected = 2 if kind in (PacketType.SUBSCRIBE, PacketType.UNSUBSCRIBE, PacketType.PUBREL) else 0
    if kind != PacketType.PUBLISH and flags != expected:
        raise MalformedPacket(f"bad flags {flags:#x} on {kind.name}")
    packet = _decode_body(kind, flags, r)
    if r.left and kind != PacketType.PUBLISH:
        raise MalformedPacket(f"{r.left} bytes left over in {kind.name}")
    return packet


def _decode_body(kind: PacketType, flags: int, r: Reader) -> Packet:
    if kind == PacketType.PUBLISH:
        qos = (flags >> 1) & 3
        if qos == 3:
            raise MalformedPacket("QoS 3")
        topic = r.str()
        packet_id = r.int2() if qos else None
        props = r.properties()
        return Publish(topic, r.rest(), qos, bool(flags & 1), bool(flags & 8), packet_id, props)
    if kind in (PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP):
        packet_id = r.int2()
        reason = r.byte() if r.left else 0
        props = r.properties() if r.left else {}
        return Puback(packet_id, reason, props, kind)
    if kind == PacketType.CONNECT:
        return _decode_connect(r)
    if kind == PacketType.CONNACK:
        ack = r.byte()
        return Connack(bool(ack & 1), r.byte(), r.properties())
    if kind == PacketType.SUBSCRIBE:
        packet_id, props = r.int2(), r.properties()
        topics = []
        while r.left:
            topic, opts = r.str(), r.byte()
            if opts & 0xC0 or (opts & 3) == 3 or (opts >> 4) & 3 == 3:
                raise MalformedPacket("bad subscription options", Reason.PROTOCOL_ERROR)
            topics.append(
                (topic, SubOptions(opts & 3, bool(opts & 4), bool(opts & 8), (opts >> 4) & 3))
            )
        if not topics:
            raise MalformedPacket("SUBSCRIBE without topic filters", Reason.PROTOCOL_ERROR)
        return Subscribe(packet_id, topics, props)
    if kind in (PacketType.SUBACK, PacketType.UNSUBACK):
        packet_id, props = r.int2(), r.properties()
        cls = Suback if kind == PacketType.SUBACK else Unsuback
        return cls(packet_id, list(r.rest()), props)
    if kind == PacketType.UNSUBSCRIBE:
        packet_id, props = r.int2(), r.properties()
        filters = []
        while r.left:
            filters.append(r.str())
        if not filters:
            raise MalformedPacket("UNSUBSCRIBE without topic filters", Reason.PROTOCOL_ERROR)
        return Unsubscribe(packet_id, filters, props)
    if kind == PacketType.PINGREQ:
        return Pingreq()
    if kind == PacketType.PINGRESP:
        return Pingresp()
    if kind == PacketType.DISCONNECT:
        reason = r.byte() if r.left else 0
        return Disconnect(reason, r.properties() if r.left else {})
    reason = r.byte() if r.left else 0
    if r.left:
        r.properties()
    return Auth(reason)


def _decode_connect(r: Reader) -> Connect:
    name = r.str()
    level = r.byte()
    if name not in ("MQTT", "MQIsdp"):
        raise MalformedPacket(f"protocol name {name!r}", Reason.UNSUPPORTED_PROTOCOL_VERSION)
    if level != 5:
        raise UnsupportedProtocol(level)
    flags = r.byte()
    if flags & 1:
        raise MalformedPacket("reserved CONNECT flag set")
    keepalive = r.int2()
    props = r.properties()
    client_id = r.str()
    will = None
    if flags & 0x04:
        will_props = r.properties()
        will_topic = r.str()
        will = Will(will_topic, r.bin(), (flags >> 3) & 3, bool(flags & 0x20), will_props)
        if will.qos == 3:
            raise MalformedPacket("will QoS 3")
    elif flags & 0x38:
        raise MalformedPacket("will QoS/retain set without a will")
    username = r.str() if flags & 0x80 else None
    password = r.bin() if flags & 0x40 else None
    return Connect(client_id, bool(flags & 2), keepalive, props, will, username, password)
