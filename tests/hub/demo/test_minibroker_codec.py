"""The demo broker's pure parts: MQTT v5 packet codec, topic matching, session state."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.demo.minibroker.packets import (
    Connack,
    Connect,
    Disconnect,
    Packet,
    Pingreq,
    Pingresp,
    Puback,
    Publish,
    Suback,
    SubOptions,
    Subscribe,
    Unsuback,
    Unsubscribe,
    UnsupportedProtocol,
    Will,
    decode,
    encode,
    split_packet,
)
from hub.demo.minibroker.session import BrokerState, Message, make_subscription
from hub.demo.minibroker.topics import matches, split_shared, valid_filter, valid_topic_name
from hub.demo.minibroker.wire import (
    CONTENT_TYPE,
    CORRELATION_DATA,
    MAXIMUM_QOS,
    RECEIVE_MAXIMUM,
    SESSION_EXPIRY,
    SUBSCRIPTION_ID,
    USER_PROPERTY,
    MalformedPacket,
    decode_varint,
    encode_varint,
)


def roundtrip(packet: Packet) -> Packet:
    """Encode, split off the fixed header, decode."""
    data = encode(packet)
    split = split_packet(data)
    assert split is not None
    first, body, used = split
    assert used == len(data)
    return decode(first, body)


# ---- variable byte integer --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "raw"),
    [
        (0, b"\x00"),
        (127, b"\x7f"),
        (128, b"\x80\x01"),
        (16_383, b"\xff\x7f"),
        (16_384, b"\x80\x80\x01"),
        (2_097_151, b"\xff\xff\x7f"),
        (2_097_152, b"\x80\x80\x80\x01"),
        (268_435_455, b"\xff\xff\xff\x7f"),  # the spec's table, section 1.5.5
    ],
)
def test_varint_matches_the_spec_table(value: int, raw: bytes) -> None:
    assert encode_varint(value) == raw
    assert decode_varint(raw) == (value, len(raw))


def test_varint_out_of_range_and_too_long() -> None:
    with pytest.raises(ValueError):
        encode_varint(268_435_456)
    with pytest.raises(MalformedPacket):
        decode_varint(b"\xff\xff\xff\xff\x01")


@given(st.integers(0, 268_435_455))
def test_varint_roundtrip(value: int) -> None:
    assert decode_varint(encode_varint(value)) == (value, len(encode_varint(value)))


# ---- packets ------------------------------------------------------------------------------------

topics = st.text(st.characters(blacklist_characters="\x00+#", codec="utf-8"), min_size=1)
utf8 = st.text(st.characters(blacklist_characters="\x00", codec="utf-8"), max_size=8)
props = st.fixed_dictionaries(
    {},
    optional={
        CONTENT_TYPE: utf8,
        CORRELATION_DATA: st.binary(max_size=20),
        USER_PROPERTY: st.lists(st.tuples(utf8, utf8), min_size=1),
        SUBSCRIPTION_ID: st.lists(st.integers(1, 268_435_455), min_size=1, max_size=3),
    },
)


@given(topics, st.binary(max_size=300), st.integers(0, 1), st.booleans(), st.booleans(), props)
def test_publish_roundtrip(
    topic: str, payload: bytes, qos: int, retain: bool, dup: bool, properties: dict[int, object]
) -> None:
    packet = Publish(topic, payload, qos, retain, dup, 7 if qos else None, properties)
    assert roundtrip(packet) == packet


@pytest.mark.parametrize(
    "packet",
    [
        Connect("dev-1"),
        Connect(
            "hub",
            clean_start=False,
            keepalive=30,
            properties={SESSION_EXPIRY: 604_800, RECEIVE_MAXIMUM: 2000},
            will=Will("hk/t1/sign-a/state", b"offline", 1, True, {CONTENT_TYPE: "text"}),
            username="u",
            password=b"p\x00w",
        ),
        Connack(True, 0, {MAXIMUM_QOS: 1}),
        Connack(False, 0x9B),
        Puback(65535),
        Puback(3, 0x10, {USER_PROPERTY: [("a", "b")]}),
        Subscribe(
            1,
            [("a/#", SubOptions(1)), ("$share/g/b/+", SubOptions(0, False, True, 2))],
            {SUBSCRIPTION_ID: [5]},
        ),
        Suback(1, [1, 0, 0x8F]),
        Unsubscribe(9, ["a/#", "b"]),
        Unsuback(9, [0, 0x11]),
        Pingreq(),
        Pingresp(),
        Disconnect(),
        Disconnect(0x8E),
        Disconnect(0, {SESSION_EXPIRY: 0}),
    ],
    ids=lambda p: type(p).__name__,
)
def test_packet_roundtrip(packet: Packet) -> None:
    assert roundtrip(packet) == packet


def test_known_bytes() -> None:
    assert encode(Pingreq()) == b"\xc0\x00"
    assert encode(Disconnect()) == b"\xe0\x00"
    assert encode(Puback(1)) == b"\x40\x02\x00\x01"  # reason and properties omitted (3.4.2.1)
    assert encode(Publish("a", b"x", 1, True, False, 2)) == b"\x33\x07\x00\x01a\x00\x02\x00x"


def test_split_waits_for_the_whole_packet() -> None:
    data = encode(Publish("topic", b"payload" * 40))
    for cut in (0, 1, 2, len(data) - 1):
        assert split_packet(data[:cut]) is None
    assert split_packet(data + b"\xc0")[2] == len(data)  # type: ignore[index]
    with pytest.raises(MalformedPacket):
        split_packet(data, max_size=10)


def test_malformed_packets_are_refused() -> None:
    with pytest.raises(MalformedPacket):
        decode(0x30, b"\x00\x05ab")  # topic longer than the packet
    with pytest.raises(MalformedPacket):
        decode(0x36, b"\x00\x01a\x00\x01\x00")  # QoS 3
    with pytest.raises(MalformedPacket):
        decode(0x80, b"\x00\x01\x00\x00\x01a\x01")  # SUBSCRIBE with flags 0, not 2
    with pytest.raises(MalformedPacket):
        decode(0x30, b"\x00\x01a\x02\xff\x00")  # unknown property 0xff
    with pytest.raises(MalformedPacket):
        decode(0x30, b"\x00\x02\xc3\x28\x00")  # topic not UTF-8
    v311 = b"\x00\x04MQTT\x04\x02\x00\x3c\x00\x01c"
    with pytest.raises(UnsupportedProtocol):
        decode(0x10, v311)


# ---- topics (MQTT v5 section 4.7) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("flt", "topic", "expected"),
    [
        ("sport/tennis/player1/#", "sport/tennis/player1", True),
        ("sport/tennis/player1/#", "sport/tennis/player1/ranking", True),
        ("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", True),
        ("sport/#", "sport", True),  # '#' matches the parent level
        ("#", "anything/at/all", True),
        ("sport/tennis/+", "sport/tennis/player1", True),
        ("sport/tennis/+", "sport/tennis/player1/ranking", False),
        ("sport/+", "sport", False),  # '+' needs a level to be there ...
        ("sport/+", "sport/", True),  # ... which may be empty
        ("+/+", "/finance", True),
        ("/+", "/finance", True),
        ("+", "/finance", False),
        ("+", "finance", True),
        ("#", "$SYS/monitor/Clients", False),  # wildcards at the start never match '$' topics
        ("+/monitor/Clients", "$SYS/monitor/Clients", False),
        ("$SYS/#", "$SYS/monitor/Clients", True),
        ("$SYS/monitor/+", "$SYS/monitor/Clients", True),
        ("a/b", "a/b", True),
        ("a/b", "a/B", False),
        ("a/b", "a/b/c", False),
        ("hk/+/+/evt", "hk/t1/sign-a/evt", True),
        ("hk/+/+/evt", "hk/t1/sign-a/hb", False),
    ],
)
def test_matches(flt: str, topic: str, expected: bool) -> None:
    assert matches(flt, topic) is expected


@pytest.mark.parametrize("flt", ["#", "+", "a/#", "+/b/#", "/", "$share/g/a/+", "a//b"])
def test_valid_filters(flt: str) -> None:
    assert valid_filter(flt)


@pytest.mark.parametrize(
    "flt",
    [
        "",
        "sport/tennis#",
        "sport/tennis/#/ranking",
        "sport+",
        "a/#/",
        "$share/g",
        "$share//a",
        "$share/g+/a",
        "$share/g/",
        "a\x00b",
    ],
)
def test_invalid_filters(flt: str) -> None:
    assert not valid_filter(flt)


def test_shared_filters_and_topic_names() -> None:
    assert split_shared("$share/ingest/hk/+/+/evt") == ("ingest", "hk/+/+/evt")
    assert split_shared("hk/#") == (None, "hk/#")
    with pytest.raises(ValueError):
        split_shared("$share/g")
    assert valid_topic_name("a/b") and valid_topic_name("/")
    assert not valid_topic_name("") and not valid_topic_name("a/+") and not valid_topic_name("#")


# ---- session state ------------------------------------------------------------------------------


class Wire:
    """An Outlet that keeps what it was given."""

    def __init__(self) -> None:
        self.sent: list[Publish] = []

    def send(self, packet: Publish) -> None:
        """Keep the packet."""
        self.sent.append(packet)


def test_inflight_window_queue_bound_and_redelivery() -> None:
    state = BrokerState(max_queued=3)
    session, present = state.session("c", clean_start=False)
    assert not present
    session.subscriptions["t/#"] = make_subscription("t/#", SubOptions(2))
    assert session.subscriptions["t/#"].options.qos == 1  # granted min(requested, 1)
    wire = Wire()
    session.attach(wire, receive_maximum=2)
    for i in range(4):
        state.publish(Message("t/x", b"%d" % i, 1, False))
    assert [p.payload for p in wire.sent] == [b"0", b"1"]  # Receive Maximum 2
    assert session.acked(wire.sent[0].packet_id or 0)
    assert [p.payload for p in wire.sent] == [b"0", b"1", b"2"]
    session.detach(now=0.0)
    for i in range(4, 8):
        state.publish(Message("t/x", b"%d" % i, 1, False))
    assert [m.payload for m, _, _ in session.queue] == [b"5", b"6", b"7"]  # oldest dropped
    assert session.dropped == 2
    again, present = state.session("c", clean_start=False)
    assert again is session and present
    wire2 = Wire()
    session.attach(wire2, receive_maximum=10)
    assert [(p.payload, p.dup) for p in wire2.sent] == [
        (b"1", True),
        (b"2", True),
        (b"5", False),
        (b"6", False),
        (b"7", False),
    ]


def test_shared_group_round_robin_prefers_online_members() -> None:
    state = BrokerState()
    wires = {}
    for cid in ("a", "b", "c"):
        s, _ = state.session(cid, clean_start=True)
        s.subscriptions["$share/g/t"] = make_subscription("$share/g/t", SubOptions(1))
        if cid != "c":
            wires[cid] = Wire()
            s.attach(wires[cid], 100)
    for i in range(6):
        assert state.publish(Message("t", b"%d" % i, 1, False)) == 1
    assert [p.payload for p in wires["a"].sent] == [b"0", b"2", b"4"]
    assert [p.payload for p in wires["b"].sent] == [b"1", b"3", b"5"]
    assert not state.sessions["c"].queue


def test_retained_store_and_session_expiry() -> None:
    state = BrokerState()
    state.publish(Message("a/b", b"1", 1, True))
    state.publish(Message("a/c", b"2", 0, True))
    assert sorted(m.payload for m in state.retained_for("a/+")) == [b"1", b"2"]
    state.publish(Message("a/b", b"", 0, True))
    assert [m.payload for m in state.retained_for("a/#")] == [b"2"]
    s, _ = state.session("gone", clean_start=True)
    s.expiry_s = 10
    s.detach(now=100.0)
    assert state.expire(now=105.0) == []
    assert state.expire(now=110.0) == ["gone"]
