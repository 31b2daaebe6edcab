"""The ingest worker against a real broker and both databases: exactly once, dead letters, gaps."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from hub.events import queries
from hub.ingest.hooks import IngestBatch
from hub.ingest.worker import IngestWorker
from models.envelope import MAX_EVENT_BYTES
from models.topics import Channel, build_topic
from tests.hub.ingest.conftest import HALL, Publisher, evt_topic, punch, sign, wait_until
from tests.support.broker import Broker


class Recorder:
    """A projector that keeps every batch it is given."""

    name = "recorder"

    def __init__(self) -> None:
        self.batches: list[IngestBatch] = []
        self.lock = threading.Lock()

    def project(self, engine: Engine, batch: IngestBatch) -> None:
        """Keep the batch."""
        with self.lock:
            self.batches.append(batch)

    @property
    def event_ids(self) -> list[str]:
        """Every envelope id handed over, in order."""
        with self.lock:
            return [e.id for b in self.batches for e in b.events]


class Exploding:
    """A projector that always fails."""

    name = "exploding"

    def project(self, engine: Engine, batch: IngestBatch) -> None:
        """Fail."""
        raise RuntimeError("projector bug")


@pytest.fixture
def recorder() -> Recorder:
    """A recording projector."""
    return Recorder()


@pytest.fixture
def worker(engine: Engine, broker: Broker, recorder: Recorder) -> Iterator[IngestWorker]:
    """A started ingest worker (small batches, writer thread) with a failing and a recording
    projector."""
    w = IngestWorker(
        engine,
        broker.url,
        client_id="hub-test",
        batch_size=50,
        batch_ms=20,
        projectors=[Exploding(), recorder],
        writer="thread",
    ).start()
    assert w.wait_ready(10)
    yield w
    w.stop()


@pytest.fixture
def process_worker(engine: Engine, broker: Broker, recorder: Recorder) -> Iterator[IngestWorker]:
    """Like `worker`, validating and storing in a writer process."""
    w = IngestWorker(
        engine,
        broker.url,
        client_id="hub-test",
        batch_size=50,
        batch_ms=20,
        projectors=[Exploding(), recorder],
        writer="process",
        lone_batch=0,  # every batch through the child, however small
    ).start()
    assert w.wait_ready(10)
    yield w
    w.stop()


def test_the_same_envelope_twice_is_stored_once(
    engine: Engine, worker: IngestWorker, publisher: Publisher, recorder: Recorder
) -> None:
    env = punch(seq=1)
    publisher.send_env(env)
    publisher.send_env(env)
    wait_until(lambda: worker.stats.snapshot()["acked"] >= 2, what="two acks")
    assert queries.count_events(engine) == (1, 1)
    assert worker.stats.snapshot()["duplicates"] == 1
    # projectors run after the commit and the acks: wait for them, then check what they saw
    wait_until(lambda: recorder.event_ids, what="the projector")
    assert recorder.event_ids == [env.id]  # projectors see only the new envelope
    stored = queries.events(engine)[0]
    assert stored["event_id"] == env.id and stored["type"] == "punch"
    assert stored["device_ts"] == env.ts  # aware, same instant
    assert stored["ts_offset_min"] == 480
    assert json.loads(stored["body"])["staff_id"] == "S001"


def test_a_writer_process_stores_once_and_feeds_projectors(
    engine: Engine, process_worker: IngestWorker, publisher: Publisher, recorder: Recorder
) -> None:
    envs = [punch(seq=s) for s in (1, 2, 3)]
    for env in [*envs, envs[1]]:
        publisher.send_env(env)
    publisher.send(evt_topic(envs[0]), b"{broken")
    wait_until(lambda: process_worker.stats.snapshot()["acked"] >= 5, what="five acks")
    assert queries.count_events(engine) == (3, 3)
    wait_until(lambda: len(recorder.event_ids) >= 3, what="the projector")  # runs after acks
    assert recorder.event_ids == [e.id for e in envs]
    assert recorder.batches[0].events[0] == envs[0]
    assert process_worker.stats.snapshot()["duplicates"] == 1
    assert process_worker.stats.snapshot()["batches_here"] == 0  # all stored by the child
    assert "not JSON" in queries.dead_letters(engine)[0]["reason"]


def test_bad_messages_become_dead_letters_and_ingest_goes_on(
    engine: Engine, worker: IngestWorker, publisher: Publisher, recorder: Recorder
) -> None:
    good = [punch(seq=s) for s in (1, 2, 3)]
    evt = build_topic(HALL, "w01-face", Channel.EVT)
    bad: list[tuple[str, bytes, str]] = [
        (evt, b"not json at all", "not JSON"),
        (evt, b'"a string"', "not a JSON object"),
        (evt, b"{" + b" " * MAX_EVENT_BYTES + b"}", "oversized"),
        (evt, punch(seq=9).to_json().replace(b'"v":1', b'"v":7'), "wrong contract version"),
        (evt, punch(seq=9).to_json().replace(b'"punch"', b'"teleport"'), "invalid"),
        (evt, punch(seq=9).to_json().replace(b'"staff_id":"S001"', b'"staff_id":""'), "invalid"),
        (build_topic(HALL, "w09-face", Channel.EVT), punch(seq=9).to_json(), "mismatch"),
        (build_topic(HALL, "w01-face", Channel.STATE), b"sleeping", "bad state payload"),
        ("hk/v1/Demo Hall/w01-face/evt", punch(seq=9).to_json(), "bad topic"),
    ]
    publisher.send_env(good[0])
    for topic, payload, _ in bad[:5]:
        publisher.send(topic, payload)
    publisher.send_env(good[1])
    for topic, payload, _ in bad[5:]:
        publisher.send(topic, payload)
    publisher.send_env(good[2])
    publisher.send(build_topic(HALL, "w01-face", Channel.STATE), b"online")
    wait_until(lambda: worker.stats.snapshot()["acked"] >= len(bad) + 4, what="all acked")
    assert queries.count_events(engine) == (3, 3)
    letters = list(reversed(queries.dead_letters(engine)))
    assert [d["topic"] for d in letters] == [t for t, _, _ in bad]
    for letter, (_, payload, reason) in zip(letters, bad, strict=True):
        assert reason in letter["reason"]
        assert letter["size"] == len(payload)
        assert letter["payload"] == payload[:4096]
        assert letter["received_at"].tzinfo is not None
    wait_until(lambda: len(recorder.event_ids) >= len(good), what="the projector")
    states = [s for b in recorder.batches for s in b.states]
    assert [(s.device, s.online) for s in states] == [("w01-face", True)]
    assert recorder.event_ids == [e.id for e in good]
    assert worker.stats.snapshot()["projector_errors"] >= 1


def test_sequence_gaps_are_detected_and_filled_by_late_seqs(
    engine: Engine, worker: IngestWorker, publisher: Publisher
) -> None:
    envs = {s: sign(seq=s) for s in range(1, 10)}
    for s in (1, 2, 3):
        publisher.send_env(envs[s])
    wait_until(lambda: queries.count_events(engine)[0] == 3, what="first three")
    for s in (6, 7):  # 4 and 5 are lost for now
        publisher.send_env(envs[s])
    wait_until(lambda: queries.count_events(engine)[0] == 5, what="6 and 7 stored")
    (gap,) = queries.sequence_gaps(engine)
    assert (gap["device"], gap["from_seq"], gap["to_seq"], gap["missing"]) == ("w01-sign", 4, 5, 2)
    assert gap["filled_at"] is None
    (seq,) = queries.device_sequences(engine)
    assert (seq["last_seq"], seq["gaps_open"], seq["gaps_total"], seq["missing_open"]) == (
        7,
        1,
        1,
        2,
    )
    publisher.send_env(envs[4])  # the outbox replays the missing facts, late
    publisher.send_env(envs[5])
    wait_until(lambda: not queries.sequence_gaps(engine, open_only=True), what="gap filled")
    (gap,) = queries.sequence_gaps(engine)
    assert gap["missing"] == 0 and gap["filled_at"] is not None
    assert gap["filled_at"] >= gap["detected_at"]
    (seq,) = queries.device_sequences(engine)
    assert (
        seq["last_seq"],
        seq["gaps_open"],
        seq["gaps_total"],
        seq["missing_open"],
        seq["facts"],
    ) == (7, 0, 1, 0, 7)


def test_two_workers_share_one_subscription(engine: Engine, broker: Broker) -> None:
    """Scale-out: a shared subscription splits the load, idempotent inserts keep it exact."""
    workers = [
        IngestWorker(
            engine, broker.url, client_id=f"hub-{k}", share_group="hub", batch_size=20, batch_ms=10
        ).start()
        for k in range(2)
    ]
    try:
        assert all(w.wait_ready(10) for w in workers)
        pub = Publisher(broker, "shared-pub")
        envs = [punch(device=f"w{k % 4:02d}-face", seq=k // 4 + 1) for k in range(120)]
        for env in envs:
            pub.send(evt_topic(env), env.to_json())
        pub.close()
        wait_until(lambda: queries.count_events(engine)[0] == len(envs), what="all stored")
        assert queries.count_events(engine) == (len(envs), len(envs))
        assert all(w.stats.snapshot()["stored"] > 0 for w in workers)
        assert not queries.sequence_gaps(engine, open_only=True)
    finally:
        for w in workers:
            w.stop()


def test_heartbeats_are_not_stored_as_facts_and_name_a_lost_tail(
    engine: Engine, worker: IngestWorker, publisher: Publisher
) -> None:
    # issue 21: heartbeats are not facts (no event row); the seq a heartbeat names is
    # checked against what the hub holds: facts 2..3 never came, a gap says so
    from tests.hub.ingest.test_validate import heartbeat_json

    publisher.send(build_topic(HALL, "w01-face", Channel.HB), heartbeat_json())  # seq 3
    publisher.send_env(punch(seq=1))
    wait_until(lambda: worker.stats.snapshot()["acked"] >= 2, what="two acks")
    assert sorted(e["type"] for e in queries.events(engine)) == ["punch"]
    (seq,) = queries.device_sequences(engine)
    assert (seq["last_seq"], seq["facts"], seq["gaps_total"]) == (3, 1, 1)
    assert seq["missing_open"] == 2
