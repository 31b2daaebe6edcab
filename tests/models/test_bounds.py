"""The contract's bounds: seq, device time, counts, every string and list (issue 14, point 1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from hub.ingest.validate import Accepted, Rejected, classify
from models.envelope import (
    DEFAULT_MAX_AHEAD,
    MAX_SEQ,
    Envelope,
    check_device_time,
    make_envelope,
    parse_envelope,
)
from models.errors import ContractError
from models.events import EVENT_BODIES, GalleryHeld, Heartbeat, Liveness, Punch
from models.schema import contract_schema
from models.topics import Channel, build_topic

TOPIC = build_topic("demo", "w01-face", Channel.EVT)


def punch_json(**changes: object) -> bytes:
    """A valid punch as wire bytes, with some fields changed."""
    env = make_envelope(
        hall="demo",
        device="w01-face",
        seq=1,
        ts=datetime.now(UTC),
        synced=True,
        body=Punch(staff_id="S001", distance=0.4, liveness=Liveness(passed=True)),
    )
    data = json.loads(env.to_json())
    data.update(changes)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"seq": 2**63}, "seq"),  # the message that stalled ingest (OverflowError in SQLite)
        ({"seq": MAX_SEQ + 1}, "seq"),
        ({"ts": "0001-01-01T00:00:00+08:00"}, "ts"),  # the other one (year 1)
        ({"ts": "2019-12-31T23:59:59+00:00"}, "ts"),
        ({"ts": "9999-12-31T23:59:59-08:00"}, "ts"),
    ],
)
def test_out_of_bounds_envelopes_are_refused_with_the_field_named(
    changes: dict[str, object], why: str
) -> None:
    with pytest.raises(ContractError, match=why):
        parse_envelope(punch_json(**changes))


def test_the_bounds_themselves_are_accepted() -> None:
    assert parse_envelope(punch_json(seq=MAX_SEQ)).seq == MAX_SEQ
    assert parse_envelope(punch_json(ts="2020-01-01T08:00:00+08:00")).ts.year == 2020


def test_a_fact_too_far_ahead_of_the_hub_clock_is_refused_but_a_heartbeat_is_kept() -> None:
    now = datetime.now(UTC)
    ahead = (now + DEFAULT_MAX_AHEAD + timedelta(minutes=1)).isoformat()
    out = classify(TOPIC, punch_json(ts=ahead), now)
    assert isinstance(out, Rejected)
    assert "ahead of the hub's clock" in out.reason and "limit 10 min" in out.reason
    near = (now + DEFAULT_MAX_AHEAD - timedelta(seconds=5)).isoformat()
    assert isinstance(classify(TOPIC, punch_json(ts=near), now), Accepted)
    # an unsynced clock is recorded as such (the flag is stored), within the same bounds
    unsynced = classify(TOPIC, punch_json(ts=near, synced=False), now)
    assert isinstance(unsynced, Accepted) and unsynced.envelope.synced is False
    hb = Envelope(
        id=parse_envelope(punch_json()).id,
        hall="demo",
        device="w01-face",
        seq=1,
        ts=now + timedelta(hours=3),  # a wrong clock the fleet must see (clock_skew alert)
        synced=False,
        type="heartbeat",  # type: ignore[arg-type]
        body=Heartbeat(
            uptime_s=1,
            agent_version="0.1",
            contract_version=1,
            outbox_depth=0,
            outbox_capacity=10,
            clock_synced=False,
        ),
    )
    check_device_time(hb, now)  # no error
    hb_topic = build_topic("demo", "w01-face", Channel.HB)
    assert isinstance(classify(hb_topic, hb.to_json(), now), Accepted)


def test_the_hub_setting_changes_how_far_ahead_a_fact_may_be() -> None:
    now = datetime.now(UTC)
    ts = (now + timedelta(minutes=3)).isoformat()
    assert isinstance(classify(TOPIC, punch_json(ts=ts), now), Accepted)
    refused = classify(TOPIC, punch_json(ts=ts), now, max_ahead=timedelta(minutes=1))
    assert isinstance(refused, Rejected) and "limit 1 min" in refused.reason


def test_counts_and_versions_are_bounded() -> None:
    with pytest.raises(ValueError):
        GalleryHeld(version=2**31, checksum="x", count=1)
    with pytest.raises(ValueError):
        Heartbeat(
            uptime_s=1,
            agent_version="0.1",
            contract_version=10**30,
            outbox_depth=0,
            outbox_capacity=1,
            clock_synced=True,
        )


def _unbounded(schema: object, defs: dict[str, object], path: str = "") -> list[str]:
    """Paths of strings without maxLength, arrays/objects without a size bound, bare integers."""
    out: list[str] = []
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _unbounded(defs[schema["$ref"].split("/")[-1]], defs, path)
        kind = schema.get("type")
        free = not any(k in schema for k in ("maxLength", "enum", "const"))
        if kind == "string" and free and schema.get("format") != "date-time":
            out.append(path)
        if kind == "integer" and "maximum" not in schema and "const" not in schema:
            out.append(path)
        if kind == "array" and "maxItems" not in schema:
            out.append(path)
        if (
            kind == "object"
            and schema.get("additionalProperties")
            and "maxProperties" not in schema
        ):
            out.append(path)
        for name, value in schema.get("properties", {}).items():
            out += _unbounded(value, defs, f"{path}/{name}")
        for key in ("items", "anyOf", "oneOf", "additionalProperties"):
            if key in schema:
                out += _unbounded(schema[key], defs, f"{path}/{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            out += _unbounded(value, defs, f"{path}[{i}]")
    return out


def test_every_string_list_and_integer_of_every_event_body_is_bounded() -> None:
    for etype, model in EVENT_BODIES.items():
        schema = model.model_json_schema()
        props = {
            k: v
            for k, v in schema.get("properties", {}).items()
            if k not in ("passed",)  # booleans need no bound
        }
        missing = _unbounded({"properties": props}, schema.get("$defs", {}))
        assert not missing, f"{etype.value}: unbounded {missing}"


def test_the_json_schema_shows_the_bounds() -> None:
    env = contract_schema()["messages"]["Envelope"]
    assert env["properties"]["seq"]["maximum"] == MAX_SEQ
    ts = env["properties"]["ts"]
    assert ts["formatMinimum"].startswith("2020-01-01")
    assert ts["x-max-ahead-of-hub-clock-s"] == 600
    missing = _unbounded({"properties": env["properties"]}, env.get("$defs", {}))
    assert not missing, missing
