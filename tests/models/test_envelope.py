"""The event envelope: building, parsing, and every way a message is refused."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.envelope import MAX_EVENT_BYTES, Envelope, make_envelope, parse_envelope
from models.errors import ContractError
from models.events import AwaySign, EventType, Heartbeat, Liveness, Punch
from models.ids import event_id_ms, new_event_id
from models.topics import parse_topic

CST = timezone(timedelta(hours=8))


def punch_envelope(seq: int = 1) -> Envelope:
    return make_envelope(
        hall="demo",
        device="ent-face1",
        seq=seq,
        ts=datetime(2026, 5, 6, 8, 20, tzinfo=CST),
        synced=True,
        body=Punch(staff_id="s001", distance=0.31, liveness=Liveness(passed=True)),
    )


def test_round_trip_keeps_offset_and_body() -> None:
    env = punch_envelope()
    back = parse_envelope(env.to_json(), parse_topic("hk/v1/demo/ent-face1/evt"))
    assert back == env
    assert back.ts.utcoffset() == timedelta(hours=8)
    assert isinstance(back.body, Punch) and back.body.staff_id == "s001"


def test_event_ids_are_time_ordered_and_unique() -> None:
    ids = [new_event_id() for _ in range(2000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert abs(event_id_ms(ids[0]) - datetime.now(UTC).timestamp() * 1000) < 5000


def test_type_is_taken_from_body_but_ambiguous_bodies_need_it() -> None:
    with pytest.raises(ContractError, match="explicit event type"):
        make_envelope(
            hall="demo",
            device="w01-a-sign",
            seq=1,
            ts=datetime.now(CST),
            synced=True,
            body=AwaySign(seat="w01-a"),
        )
    env = make_envelope(
        hall="demo",
        device="w01-a-sign",
        seq=1,
        ts=datetime.now(CST),
        synced=True,
        body=AwaySign(seat="w01-a"),
        type=EventType.AWAY_SIGN_PLACED,
    )
    assert env.type is EventType.AWAY_SIGN_PLACED


def mutate(**changes: object) -> bytes:
    data = json.loads(punch_envelope().to_json())
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b"{" + b" " * MAX_EVENT_BYTES + b"}", "oversized"),
        (mutate(v=2), "wrong contract version"),
        (mutate(type="teleport"), "type"),
        (mutate(ts="2026-05-06T08:20:00"), "ts"),  # naive time is refused
        (mutate(body={"staff_id": "s001"}), "distance"),
        (
            mutate(
                body={
                    "staff_id": "s001",
                    "distance": 0.3,
                    "liveness": {"passed": True},
                    "photo": "...",
                }
            ),
            "photo",
        ),  # no images smuggled in (PRIV-1)
        (mutate(id="not-an-id"), "id"),
        (mutate(seq=-1), "seq"),
        (mutate(hall=None), "hall"),
    ],
)
def test_bad_messages_are_refused_with_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(ContractError) as info:
        parse_envelope(payload)
    assert reason in info.value.reason


def test_topic_and_envelope_must_agree() -> None:
    env = punch_envelope().to_json()
    with pytest.raises(ContractError, match="mismatch: topic names demo/ent-face2"):
        parse_envelope(env, parse_topic("hk/v1/demo/ent-face2/evt"))
    with pytest.raises(ContractError, match="must come on evt"):
        parse_envelope(env, parse_topic("hk/v1/demo/ent-face1/hb"))


def test_heartbeat_belongs_on_hb() -> None:
    hb = make_envelope(
        hall="demo",
        device="ent-face1",
        seq=7,
        ts=datetime.now(CST),
        synced=False,
        body=Heartbeat(
            uptime_s=3.5,
            agent_version="0.1.0",
            contract_version=1,
            outbox_depth=0,
            outbox_capacity=100,
            clock_synced=False,
        ),
    )
    assert not hb.is_fact
    assert parse_envelope(hb.to_json(), parse_topic("hk/v1/demo/ent-face1/hb")).seq == 7
    with pytest.raises(ContractError, match="must come on hb"):
        parse_envelope(hb.to_json(), parse_topic("hk/v1/demo/ent-face1/evt"))


def test_envelope_is_frozen() -> None:
    env = punch_envelope()
    with pytest.raises(ValueError, match="frozen"):
        env.seq = 2  # type: ignore[misc]


@given(st.binary(max_size=2048))
def test_parser_never_crashes_on_bytes(payload: bytes) -> None:
    try:
        parse_envelope(payload)
    except ContractError as exc:
        assert exc.reason


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(
    st.dictionaries(
        st.sampled_from(["v", "id", "hall", "device", "seq", "ts", "synced", "type", "body"]),
        json_values,
    )
)
def test_parser_never_crashes_on_envelope_shaped_json(data: dict[str, object]) -> None:
    try:
        parse_envelope(json.dumps(data).encode())
    except ContractError as exc:
        assert exc.reason
