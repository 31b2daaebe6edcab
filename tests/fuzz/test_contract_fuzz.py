"""Hypothesis over the wire-contract parsers: no input crashes them.

Every parser either returns a model or raises ContractError (with a reason). Inputs: random
bytes, random JSON, valid messages of every type with random mutations, deep nesting. Whatever
parses must serialise again, and parsing that gives the same bytes (NaN/Infinity, which Python's
json accepts, are sent on as null: the one place a value changes).
"""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from models.commands import CommandType, parse_command
from models.config import parse_config
from models.envelope import MAX_EVENT_BYTES, Envelope, parse_envelope
from models.errors import ContractError
from models.events import EventType
from models.topics import Channel, Topic, build_topic, parse_topic

TS = "2026-05-06T08:20:00+08:00"
EVENT_ID = "01JTHK0000000000000000000A"
BODIES: dict[EventType, dict[str, Any]] = {
    EventType.PUNCH: {"staff_id": "s001", "distance": 0.31, "liveness": {"passed": True}},
    EventType.UNKNOWN_FACE: {"best_distance": 0.7},
    EventType.RATING: {"seat": "w01-a", "ticket": "A012", "level": 5, "dimensions": {"speed": 4}},
    EventType.TICKET_ISSUED: {"service": "social", "green_channel": True},
    EventType.CALL_REQUEST: {"window": "w01", "action": "transfer", "target_service": "fund"},
    EventType.AWAY_SIGN_PLACED: {"seat": "w01-a"},
    EventType.AWAY_SIGN_REMOVED: {"seat": "w01-a"},
    EventType.PRESENCE: {"seat": "w01-a", "present": True, "distance_cm": 80},
    EventType.DEVICE_FAULT: {"code": "paper_out", "message": "缺纸", "severity": "warning"},
    EventType.CONFIG_APPLIED: {"version": 3},
    EventType.CONFIG_REJECTED: {"version": 4, "reason": "baud: not one of 9600, 115200"},
    EventType.COMMAND_RESULT: {"command_id": EVENT_ID, "ok": False, "detail": "jam"},
    EventType.GALLERY_HELD: {"version": 2, "checksum": "ab12", "count": 14},
    EventType.TEMPLATE_ERASED: {"staff_id": "s001", "gallery_version": 3, "erasure_id": "e01"},
    EventType.ENROLLMENT_CAPTURED: {
        "enrollment_id": "n01",
        "staff_id": "s001",
        "token": "t" * 32,
        "templates": "Z0FBQUFB",
        "count": 3,
        "real_score": 0.9,
    },
    EventType.ENROLLMENT_FAILED: {
        "enrollment_id": "n01",
        "staff_id": "s001",
        "reason": "timeout",
        "message": "blurred",
    },
    EventType.TEMPLATE_OFFERED: {"staff_id": "s001", "template": "Z0FBQUFB", "distance": 0.3},
    EventType.HEARTBEAT: {
        "uptime_s": 12.5,
        "agent_version": "0.1.0",
        "contract_version": 1,
        "outbox_depth": 0,
        "outbox_capacity": 1000,
        "clock_synced": True,
    },
}
ENVELOPES = [
    {
        "v": 1,
        "id": EVENT_ID,
        "hall": "demo",
        "device": "ent-face1",
        "seq": 0 if t is EventType.HEARTBEAT else 7,
        "ts": TS,
        "synced": True,
        "type": t.value,
        "body": body,
    }
    for t, body in BODIES.items()
]
COMMAND_BODIES: dict[CommandType, dict[str, Any]] = {
    CommandType.DISPLAY_TEXT: {"text": "A012 请到3号窗口", "line": 1, "ttl_s": 30},
    CommandType.ANNOUNCE: {"text": "请A012号到3号窗口办理", "repeat": 2},
    CommandType.PRINT_TICKET: {
        "ticket": "A012",
        "service_name": "社保业务",
        "ahead": 3,
        "issued_at": TS,
    },
    CommandType.SYNC_GALLERY: {
        "version": 2,
        "checksum": "ab12",
        "blob": "Z0FBQUFB",
        "keys": "Z0FBQUFC",
    },
    CommandType.ERASE_TEMPLATE: {"staff_id": "s001", "gallery_version": 3, "erasure_id": "e01"},
    CommandType.START_ENROLLMENT: {
        "enrollment_id": "n01",
        "staff_id": "s001",
        "name": "张三",
        "token": "t" * 32,
        "expires_at": TS,
        "templates": 3,
    },
    CommandType.SHOW_SERVING: {"seat": "w01-a", "staff_id": "s001", "name": "张三"},
    CommandType.RELOAD_CONFIG: {},
}
COMMANDS = [
    {
        "v": 1,
        "id": EVENT_ID,
        "hall": "demo",
        "device": "w01-led",
        "ts": TS,
        "type": t.value,
        "body": body,
    }
    for t, body in COMMAND_BODIES.items()
]
CONFIGS = [
    {
        "v": 1,
        "hall": "demo",
        "device": "w01-led",
        "kind": "counter_display",
        "version": 1,
        "issued_at": TS,
        "settings": {"backend": "simulated", "port": "/dev/ttyUSB0"},
    },
]

INTERESTING_TEXT = st.sampled_from(
    [
        "",
        " ",
        "demo",
        "ent-face1",
        "hk/v1/demo/x/evt",
        TS,
        "2026-05-06T08:20:00",
        "A012",
        "01JTHK0000000000000000000A",
        "punch",
        "heartbeat",
        "display_text",
        "NaN",
        "\x00",
        "é",
        "请到3号窗口",
        "a" * 64,
        "Z" * 600,
        "\ud800",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | INTERESTING_TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8) | INTERESTING_TEXT, inner, max_size=4)
    ),
    max_leaves=12,
)


def to_bytes(value: Any) -> bytes:
    """JSON as a sender might write it (lone surrogates become invalid UTF-8)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass")


def paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into a JSON tree, the root first."""
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from paths(value, (*prefix, i))


@st.composite
def mutated(draw: st.DrawFn, seeds: list[dict[str, Any]]) -> Any:
    """A valid message with 1 to 3 random edits (replace, delete, add) anywhere in its tree."""
    data: Any = copy.deepcopy(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(paths(data))))
        value = draw(JSON)
        if not path:
            data = value
            continue
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        op = draw(st.sampled_from(["replace", "delete", "add"]))
        if op == "replace":
            parent[path[-1]] = value
        elif op == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=8) | INTERESTING_TEXT)] = value
        else:
            parent.append(value)
    return data


def survives(parse: Callable[[bytes], Any], payload: bytes) -> Any:
    """Parse; a ContractError with a reason is fine, a model must round-trip, nothing else."""
    try:
        model = parse(payload)
    except ContractError as exc:
        assert exc.reason
        return None
    wire = model.to_json()  # never raises for a parsed model
    assert model.json_text().encode() == wire  # the store's serializer shortcut: same text
    again = parse(wire)
    assert again.to_json() == wire  # one hop reaches a fixed point (NaN travels as null)
    return model


PARSERS: dict[str, Callable[[bytes], Any]] = {
    "envelope": parse_envelope,
    "command": parse_command,
    "config": parse_config,
}
SEEDS: dict[str, list[dict[str, Any]]] = {
    "envelope": ENVELOPES,
    "command": COMMANDS,
    "config": CONFIGS,
}


@pytest.mark.parametrize("kind", PARSERS)
def test_every_seed_message_is_valid_and_round_trips_exactly(kind: str):
    for seed in SEEDS[kind]:
        model = survives(PARSERS[kind], to_bytes(seed))
        assert model is not None and PARSERS[kind](model.to_json()) == model, seed


@pytest.mark.parametrize("kind", PARSERS)
@given(payload=st.binary(max_size=512))
@example(payload=b"\xef\xbb\xbf{}")
@example(payload=b"NaN")
def test_random_bytes(kind: str, payload: bytes):
    survives(PARSERS[kind], payload)


@pytest.mark.parametrize("kind", PARSERS)
@given(value=JSON)
def test_random_json(kind: str, value: Any):
    survives(PARSERS[kind], to_bytes(value))


@pytest.mark.parametrize("kind", PARSERS)
@given(data=st.data())
def test_mutated_valid_messages(kind: str, data: st.DataObject):
    survives(PARSERS[kind], to_bytes(data.draw(mutated(SEEDS[kind]))))


@pytest.mark.parametrize("kind", PARSERS)
@given(depth=st.integers(1, 200_000), opener=st.sampled_from([b"[", b'{"a":']))
@example(depth=5_000, opener=b"[")
@example(depth=5_000, opener=b'{"a":')
def test_deep_nesting(kind: str, depth: int, opener: bytes):
    closer = b"]" if opener == b"[" else b"}"
    survives(PARSERS[kind], opener * depth + b"1" + closer * depth)
    survives(PARSERS[kind], opener * depth)  # and unterminated


NAMES = st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,62}\Z") | st.text(max_size=70)
TOPICS = st.builds(Topic, hall=NAMES, device=NAMES, channel=st.sampled_from(list(Channel)))


@given(data=st.data(), topic=TOPICS)
def test_envelope_with_any_topic(data: st.DataObject, topic: Topic):
    payload = to_bytes(data.draw(mutated(ENVELOPES) | st.sampled_from(ENVELOPES)))
    try:
        env = parse_envelope(payload, topic)
    except ContractError as exc:
        assert exc.reason
        return
    assert (env.hall, env.device) == (topic.hall, topic.device)
    assert topic.channel is (Channel.EVT if env.is_fact else Channel.HB)


def general(payload: bytes) -> Envelope | None:
    """The envelope as the general model validates it (type-dispatching validators), or None."""
    try:
        return Envelope.model_validate(json.loads(payload))
    except ValueError:
        return None


@given(data=st.data())
def test_fast_parser_accepts_exactly_what_the_general_model_accepts(data: st.DataObject):
    # parse_envelope validates through per-type narrowed models in pydantic-core alone;
    # it must accept and refuse the same messages as Envelope itself, with the same values.
    payload = to_bytes(data.draw(mutated(ENVELOPES) | st.sampled_from(ENVELOPES)))
    try:
        fast: Envelope | None = parse_envelope(payload)
    except ContractError:
        fast = None
    slow = general(payload)
    assert (fast is None) == (slow is None), payload
    if fast is not None:
        assert fast == slow and hash(fast) == hash(slow)
        assert fast.to_json() == slow.to_json()
        assert isinstance(fast, Envelope) and type(fast.body) is type(slow.body)


def test_parsed_envelopes_pickle_and_equal_the_built_ones():
    for seed in ENVELOPES:
        parsed = parse_envelope(to_bytes(seed))
        built = Envelope(**seed)
        assert parsed == built and hash(parsed) == hash(built)
        assert pickle.loads(pickle.dumps(parsed)) == built
        assert parsed.body == built.body and parsed.type is built.type


@given(size=st.integers(MAX_EVENT_BYTES - 8, MAX_EVENT_BYTES + 8))
def test_envelope_size_limit_is_exact(size: int):
    padded = dict(BODIES[EventType.DEVICE_FAULT])
    env = {**ENVELOPES[8], "body": padded}
    payload = to_bytes(env)
    payload = payload[:-1] + b" " * (size - len(payload)) + b"}"  # JSON whitespace pads it
    if size > MAX_EVENT_BYTES:
        with pytest.raises(ContractError, match="oversized"):
            parse_envelope(payload)
    else:
        assert parse_envelope(payload).type is EventType.DEVICE_FAULT


SEGMENT = st.sampled_from(
    ["hk", "v1", "v2", "demo", "ent-face1", "+", "#", "", "A", "a/b", *[c.value for c in Channel]]
) | st.text(max_size=10)


@given(topic=st.text(max_size=120) | st.lists(SEGMENT, max_size=7).map("/".join))
def test_parse_topic(topic: str):
    try:
        parsed = parse_topic(topic)
    except ContractError as exc:
        assert exc.reason
        return
    assert build_topic(parsed.hall, parsed.device, parsed.channel) == topic


def test_config_with_unsendable_settings_is_refused():
    doc = {**CONFIGS[0], "settings": {"backend": "simulated", "label": "\ud800"}}
    with pytest.raises(ContractError, match="settings"):
        parse_config(json.dumps(doc).encode())  # ASCII JSON escape of a lone surrogate


@pytest.mark.parametrize("kind", PARSERS)
def test_nan_and_infinity_never_crash(kind: str):
    for seed in SEEDS[kind]:
        text = to_bytes(seed).decode()
        for const in ("NaN", "Infinity", "-Infinity"):
            survives(PARSERS[kind], text.replace('"v": 1', f'"v": 1, "x": {const}').encode())
            survives(PARSERS[kind], text.replace("0.31", const).replace("12.5", const).encode())
