"""Pure validation: every bad message kind gets a readable reason; nothing random crashes it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.ingest.validate import Accepted, Rejected, StateChange, classify, parse_state
from models.envelope import MAX_EVENT_BYTES, Envelope, parse_envelope
from models.errors import ContractError
from models.events import DeviceFault, EventType, Heartbeat
from models.topics import Channel, build_topic, parse_topic
from tests.hub.ingest.conftest import HALL, evt_topic, punch

NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
"""The hub's clock in these tests: fixed and given to classify(), as are the facts' device times
(a test never depends on the wall clock staying within the bounds while the suite runs)."""


def fact(device: str = "w01-face") -> Envelope:
    """A punch made at the hub's clock (NOW)."""
    return punch(device=device, ts=NOW)


EVT = build_topic(HALL, "w01-face", Channel.EVT)
HB = build_topic(HALL, "w01-face", Channel.HB)
STATE = build_topic(HALL, "w01-face", Channel.STATE)


def _dict(**changes: object) -> dict[str, object]:
    data = json.loads(fact().to_json())
    data.update(changes)
    return data


def heartbeat_json() -> bytes:
    """A valid heartbeat envelope of w01-face."""
    body = Heartbeat(
        uptime_s=5,
        agent_version="0.1",
        contract_version=1,
        outbox_depth=0,
        outbox_capacity=100,
        clock_synced=True,
    )
    env = Envelope(
        id=fact().id,
        hall=HALL,
        device="w01-face",
        seq=3,
        ts=NOW,
        synced=True,
        type=EventType.HEARTBEAT,
        body=body,
    )
    return env.to_json()


def test_a_valid_punch_is_accepted() -> None:
    env = fact()
    out = classify(evt_topic(env), env.to_json(), NOW)
    assert isinstance(out, Accepted)
    assert out.envelope == env


def test_a_heartbeat_on_hb_is_accepted() -> None:
    out = classify(HB, heartbeat_json(), NOW)
    assert isinstance(out, Accepted) and out.envelope.type is EventType.HEARTBEAT


@pytest.mark.parametrize(("payload", "online"), [(b"online", True), (b"offline", False)])
def test_state_payloads(payload: bytes, online: bool) -> None:
    out = classify(STATE, payload, NOW)
    assert isinstance(out, StateChange)
    assert (out.state.hall, out.state.device, out.state.online) == (HALL, "w01-face", online)
    assert out.state.received_at == NOW


BAD = [
    ("not json", EVT, b"\xff\xfe garbage", "not JSON"),
    ("not an object", EVT, b"[1, 2, 3]", "not a JSON object"),
    ("oversized", EVT, b" " * (MAX_EVENT_BYTES + 1), "oversized"),
    ("wrong version", EVT, json.dumps(_dict(v=2)).encode(), "wrong contract version"),
    ("unknown type", EVT, json.dumps(_dict(type="teleport")).encode(), "invalid: type"),
    (
        "invalid body",
        EVT,
        json.dumps(_dict(body={"staff_id": "S1"})).encode(),
        "invalid: distance: Field required",
    ),
    (
        "device mismatch",
        build_topic(HALL, "w02-face", Channel.EVT),
        fact().to_json(),
        "mismatch: topic names demo/w02-face",
    ),
    ("heartbeat on evt", EVT, heartbeat_json(), "heartbeat must come on hb"),
    ("fact on hb", HB, fact().to_json(), "punch must come on evt"),
    ("bad state", STATE, b"maybe", "bad state payload"),
    ("bad topic", "hk/v1/demo/evt", fact().to_json(), "bad topic"),
    ("bad topic version", "hk/v9/demo/w01-face/evt", fact().to_json(), "bad topic"),
    ("cmd channel", build_topic(HALL, "w01-face", Channel.CMD), b"{}", "bad topic"),
    ("deeply nested", EVT, b"[" * 5000 + b"]" * 5000, "not JSON"),
]


@pytest.mark.parametrize(("kind", "topic", "payload", "reason"), BAD, ids=[b[0] for b in BAD])
def test_every_bad_kind_is_rejected_with_a_readable_reason(
    kind: str, topic: str, payload: bytes, reason: str
) -> None:
    out = classify(topic, payload, NOW)
    assert isinstance(out, Rejected), kind
    assert reason in out.reason
    assert "\n" not in out.reason


def test_parse_state_refuses_anything_else() -> None:
    with pytest.raises(ContractError, match="expected b'online'"):
        parse_state(HALL, "d1", b"ONLINE", NOW)


def test_device_fault_body_roundtrips() -> None:
    from models.envelope import make_envelope

    env = make_envelope(
        hall=HALL,
        device="w01-face",
        seq=4,
        ts=NOW,
        synced=False,
        body=DeviceFault(code="CAM", message="camera lost"),
    )
    out = classify(EVT, env.to_json(), NOW)
    assert isinstance(out, Accepted) and out.envelope.body == env.body


# --- fuzzing: random bytes, random JSON, mutated envelopes never crash the parsers -------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
TOPICS = st.sampled_from([EVT, HB, STATE, "hk/v1/x", "", "hk/v1/demo/w01-face/cfg"]) | st.text(
    max_size=40
)


def _never_crashes(topic: str, payload: bytes) -> None:
    out = classify(topic, payload, NOW)
    assert isinstance(out, Accepted | Rejected | StateChange)
    try:
        parse_envelope(payload, parse_topic(EVT))
    except ContractError as exc:
        assert exc.reason


@settings(max_examples=300, deadline=None)
@given(topic=TOPICS, payload=st.binary(max_size=300))
def test_random_bytes_never_crash(topic: str, payload: bytes) -> None:
    _never_crashes(topic, payload)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES)
def test_random_json_never_crashes(value: object) -> None:
    _never_crashes(EVT, json.dumps(value).encode())


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(sorted(_dict())), value=JSON_VALUES)
def test_mutated_envelopes_never_crash(key: str, value: object) -> None:
    _never_crashes(EVT, json.dumps(_dict(**{key: value})).encode())
