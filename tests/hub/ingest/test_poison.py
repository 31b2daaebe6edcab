"""Poison isolation and id reuse (issue 14, points 2 and 5), on SQLite and PostgreSQL.

Whatever the database refuses (any exception class) is found by splitting the batch, dead-
lettered with the exception's text and acknowledged; every other message is stored exactly
once. A reused event id is a dead letter, a repeated message a duplicate.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from hub.events import queries
from hub.events.tables import DeadLetter, Event
from hub.ingest.pipeline import handle_batch, store_isolating
from models.envelope import Envelope
from tests.hub.ingest.conftest import evt_topic, punch
from tests.hub.ingest.poison import install_poison_trigger

EVENT = Event.__table__  # type: ignore[attr-defined]
DEAD = DeadLetter.__table__  # type: ignore[attr-defined]


def never_give_up(_delay: float) -> bool:
    """Retry at once, forever (the database is local and up)."""
    return False


def stored_ids(engine: Engine, devices: set[str]) -> list[str]:
    """Event ids stored for these devices (with repeats, if any)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(EVENT.c.event_id).where(EVENT.c.device.in_(devices)))
        return [r[0] for r in rows]


def dead_letters(engine: Engine) -> list[dict[str, object]]:
    """Every dead letter, oldest first."""
    return list(reversed(queries.dead_letters(engine, limit=100_000)))


def test_a_value_the_database_cannot_hold_is_isolated_whatever_it_raises(engine: Engine) -> None:
    """The issue's stall: seq 2^63 raised OverflowError inside SQLite (DataError on PostgreSQL).

    The contract now refuses it first; here it is forced past the contract to prove that the
    store isolates any exception class on its own.
    """
    good = [punch(device="w01-face", seq=n) for n in range(1, 41)]
    bad = punch(device="w02-face", seq=1).model_copy(update={"seq": 2**63})
    batch = [*good[:17], bad, *good[17:]]
    result = store_isolating(engine, batch, [], datetime.now(UTC), give_up=never_give_up)
    assert result is not None
    stored, retries, isolated = result
    assert (len(stored.new), retries, isolated) == (40, 0, 1)
    assert sorted(stored_ids(engine, {"w01-face", "w02-face"})) == sorted(e.id for e in good)
    (letter,) = dead_letters(engine)
    assert str(letter["reason"]).startswith("store failed: ")
    assert letter["topic"] == evt_topic(bad)
    assert json.loads(letter["payload"])["seq"] == 2**63  # type: ignore[arg-type]


def test_a_batch_with_poison_is_split_and_every_good_message_stored(engine: Engine) -> None:
    install_poison_trigger(engine)
    now = datetime.now(UTC)
    good = [punch(device="w01-face", seq=n) for n in range(1, 301)]
    poison = [punch(device=f"poison{k}", seq=1) for k in range(4)]
    messages = [(evt_topic(e), e.to_json()) for e in good]
    for k, env in enumerate(poison):
        messages.insert(60 * k + 7, (evt_topic(env), env.to_json()))
    outcome = handle_batch(engine, messages, now, give_up=never_give_up)
    assert outcome.committed
    assert (outcome.stored, outcome.dead_letters, outcome.isolated) == (300, 4, 4)
    assert len(stored_ids(engine, {"w01-face"})) == 300
    letters = dead_letters(engine)
    assert sorted(d["topic"] for d in letters) == sorted(evt_topic(e) for e in poison)
    assert all("poisoned fact refused by the database" in str(d["reason"]) for d in letters)
    # the raw payload is kept as received, not re-serialised
    assert {bytes(d["payload"]) for d in letters} == {e.to_json() for e in poison}  # type: ignore[arg-type]


def test_an_operational_error_that_never_clears_is_isolated_too(engine: Engine) -> None:
    """A part that keeps raising 'operational' errors while the database answers is refused."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite cannot raise an operational error from a trigger")
    install_poison_trigger(engine, sqlstate="40001")  # serialization_failure: OperationalError
    good = [punch(device="w01-face", seq=n) for n in range(1, 21)]
    bad = punch(device="poison-x", seq=1)
    messages = [(evt_topic(e), e.to_json()) for e in [*good, bad]]
    outcome = handle_batch(engine, messages, datetime.now(UTC), give_up=never_give_up)
    assert (outcome.stored, outcome.dead_letters, outcome.isolated) == (20, 1, 1)
    assert outcome.store_retries >= 4


def test_a_reused_event_id_is_refused_and_a_repeat_is_a_duplicate(engine: Engine) -> None:
    now = datetime.now(UTC)
    first = punch(device="w01-face", seq=1, staff="S001")
    again = Envelope.model_validate_json(first.to_json())
    other_body = first.model_copy(update={"body": punch(staff="S999").body})
    other_device = first.model_copy(update={"device": "w02-face"})
    same_batch_reuse = punch(device="w03-face", seq=1)
    same_batch_twin = same_batch_reuse.model_copy(update={"seq": 2})
    messages = [(evt_topic(e), e.to_json()) for e in (first, same_batch_reuse, same_batch_twin)]
    out = handle_batch(engine, messages, now, give_up=never_give_up)
    assert (out.stored, out.duplicates, out.dead_letters) == (2, 0, 1)
    later = [(evt_topic(e), e.to_json()) for e in (again, other_body, other_device)]
    out = handle_batch(engine, later, now, give_up=never_give_up)
    assert (out.stored, out.duplicates, out.dead_letters) == (0, 1, 2)
    reasons = [str(d["reason"]) for d in dead_letters(engine)]
    assert all(r.startswith("event id reused: ") for r in reasons)
    assert "differs in seq" in reasons[0]
    assert "differs in body" in reasons[1]
    assert "stored from demo/w01-face" in reasons[2]
    topics = [d["topic"] for d in dead_letters(engine)]
    assert topics == [evt_topic(same_batch_twin), evt_topic(other_body), evt_topic(other_device)]
    with engine.connect() as conn:
        body = conn.execute(sa.select(EVENT.c.body).where(EVENT.c.event_id == first.id)).one()[0]
    assert json.loads(body)["staff_id"] == "S001"  # the stored fact is untouched


KINDS = ("good", "contract", "poison", "reuse", "repeat")


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=40),
    cuts=st.lists(st.integers(min_value=1, max_value=40), max_size=4),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_random_mixes_store_every_good_message_once_and_dead_letter_every_bad_one_once(
    poisoned_engine: Engine, kinds: list[str], cuts: list[int], seed: int
) -> None:
    engine = poisoned_engine
    tag = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    good: list[Envelope] = []
    bad_payloads: list[bytes] = []
    messages: list[tuple[str, bytes]] = []
    seq = 0
    for kind in kinds:
        seq += 1
        env = punch(device=f"g{tag}", seq=seq)
        if kind == "good" or (kind in ("reuse", "repeat") and not good):
            good.append(env)
        elif kind == "contract":
            env = punch(device=f"c{tag}", seq=seq)
            payload = env.to_json().replace(b'"seq":', b'"seq":-', 1)
            bad_payloads.append(payload)
            messages.append((evt_topic(env), payload))
            continue
        elif kind == "poison":
            env = punch(device=f"poison{tag}", seq=seq)
            bad_payloads.append(env.to_json())
        elif kind == "reuse":
            env = random.Random(seed + seq).choice(good).model_copy(update={"seq": seq})
            bad_payloads.append(env.to_json())
        else:  # the same message again: a duplicate, neither stored twice nor refused
            env = random.Random(seed + seq).choice(good)
        messages.append((evt_topic(env), env.to_json()))
    random.Random(seed).shuffle(messages)

    # The first message with an id (in arrival order) is the fact; a later one with the same
    # bytes is a duplicate, with other bytes a reused id (so a reuse shuffled before its
    # original makes the original the refused one).
    def refused_by_contract_or_database(payload: bytes) -> bool:
        return b'"seq":-' in payload or b"poison" in payload

    first_payload: dict[str, bytes] = {}
    for _topic, payload in messages:
        if not refused_by_contract_or_database(payload):
            first_payload.setdefault(json.loads(payload)["id"], payload)
    expected_good = set(first_payload)
    expected_dead = sorted(
        p
        for _t, p in messages
        if refused_by_contract_or_database(p) or first_payload[json.loads(p)["id"]] != p
    )
    assert len(expected_dead) >= len(bad_payloads) - kinds.count("reuse")
    bounds = sorted({c for c in cuts if c < len(messages)})
    for lo, hi in zip([0, *bounds], [*bounds, len(messages)], strict=True):
        outcome = handle_batch(engine, messages[lo:hi], now, give_up=never_give_up)
        assert outcome.committed
    ids = stored_ids(engine, {f"g{tag}", f"c{tag}", f"poison{tag}"})
    assert len(ids) == len(set(ids)) and set(ids) == expected_good
    mine = sorted(
        bytes(d["payload"])  # type: ignore[arg-type]
        for d in queries.dead_letters(engine, limit=100_000)
        if tag in str(d["topic"])
    )
    assert mine == expected_dead


@pytest.fixture
def poisoned_engine(engine: Engine) -> Engine:
    """The test's database with the poison trigger installed."""
    install_poison_trigger(engine)
    return engine
