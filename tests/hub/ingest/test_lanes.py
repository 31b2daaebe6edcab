"""Derived records are never lost: a projector failing on one fact, then fixed (issue 14, point 4).

A durable projector (it declares `facts`) gets every stored fact once it works again: the fact
it failed on is retried with back-off, alerted after a few tries with the fact's id (on the
hall's alert feed), and the facts behind it wait only if they have the same key.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.fleet.raised import FleetAlerts
from hub.fleet.tables import Alert
from hub.ingest import lane as lane_module
from hub.ingest.hooks import IngestBatch
from hub.ingest.lane import Lane, RetryPolicy
from hub.ingest.lanestore import read_cursor
from hub.ingest.stats import IngestStats
from hub.ingest.store import store_batch
from hub.ingest.worker import IngestWorker
from models.envelope import Envelope
from models.events import EventType, Punch
from tests.hub.ingest.conftest import Publisher, punch, wait_until
from tests.support.broker import Broker


class Flaky:
    """A durable punch projector that fails on chosen facts while `broken`."""

    name = "attendance"
    facts = frozenset({EventType.PUNCH})

    def __init__(self) -> None:
        self.applied: list[str] = []
        self.poison: set[str] = set()
        self.broken = True
        self.lock = threading.Lock()

    @staticmethod
    def fact_key(env: Envelope) -> str:
        """Facts of one staff member are applied in order."""
        assert isinstance(env.body, Punch)
        return env.body.staff_id

    def project(self, engine: Engine, batch: IngestBatch) -> None:
        """Record the facts (idempotent), unless one of them is poison while broken."""
        if self.broken and any(e.id in self.poison for e in batch.events):
            raise RuntimeError("projector bug on this fact")
        with self.lock:
            self.applied += [e.id for e in batch.events if e.id not in self.applied]

    def ids(self) -> list[str]:
        """Applied fact ids in order."""
        with self.lock:
            return list(self.applied)


@pytest.fixture
def flaky() -> Flaky:
    """The failing projector."""
    return Flaky()


@pytest.fixture
def worker(engine: Engine, broker: Broker, flaky: Flaky) -> Iterator[IngestWorker]:
    """A worker whose projection retries fast: 3 tries, from 50 ms."""
    w = IngestWorker(
        engine,
        broker.url,
        client_id="hub-lanes",
        batch_ms=5,
        projectors=[flaky],
        alerts=FleetAlerts(engine),
        retry_policy=RetryPolicy(tries=3, first_s=0.05, max_s=0.2),
        projection_tick_s=0.05,
    ).start()
    assert w.wait_ready(10)
    yield w
    w.stop()


def open_alerts(engine: Engine) -> list[Alert]:
    """The open alerts of the alert feed."""
    with Session(engine) as s:
        return list(s.exec(select(Alert).where(Alert.state == "open")).all())


def test_a_fact_the_projector_fails_on_is_retried_alerted_and_applied_once_fixed(
    engine: Engine, worker: IngestWorker, publisher: Publisher, flaky: Flaky
) -> None:
    p1 = punch(seq=1, staff="S001")
    bad = punch(seq=2, staff="S001")
    behind = punch(seq=3, staff="S001")  # same key: waits behind the failing fact
    other = punch(seq=4, staff="S002")  # another key: never waits
    flaky.poison = {bad.id}
    for env in (p1, bad, behind, other):
        publisher.send_env(env)
    wait_until(lambda: other.id in flaky.ids(), what="the other key's fact")
    assert bad.id not in flaky.ids()
    # three failures: the alert names the fact, and the fact behind it stops waiting
    wait_until(lambda: open_alerts(engine), what="an alert")
    (alert,) = open_alerts(engine)
    assert (alert.hall, alert.device, alert.kind) == ("demo", "w01-face", "projection:attendance")
    assert alert.words == "alert.projection_failed"
    assert alert.word_values == {"event_id": bad.id, "area": "area.attendance", "attempts": 3}
    wait_until(lambda: behind.id in flaky.ids(), what="the fact behind it")
    assert flaky.ids()[:1] == [p1.id] and bad.id not in flaky.ids()
    flaky.broken = False  # the projector is fixed (a deploy): the next retry applies it
    wait_until(lambda: bad.id in flaky.ids(), what="the failed fact, retried")
    assert sorted(flaky.ids()) == sorted(e.id for e in (p1, bad, behind, other))
    wait_until(lambda: not open_alerts(engine), what="the alert resolved")
    assert worker.stats.snapshot()["projector_errors"] >= 3


def test_a_restarted_worker_resumes_from_the_cursor_and_retries_what_was_parked(
    engine: Engine, broker: Broker, publisher: Publisher, flaky: Flaky
) -> None:
    """The cursor and the parked facts are durable: a new process takes them up."""
    policy = RetryPolicy(tries=50, first_s=0.05, max_s=0.1)
    first = IngestWorker(
        engine, broker.url, client_id="hub-r", projectors=[flaky], retry_policy=policy
    ).start()
    assert first.wait_ready(10)
    envs = [punch(seq=s, staff=f"S00{s}") for s in range(1, 5)]
    flaky.poison = {envs[1].id}
    for env in envs:
        publisher.send_env(env)
    wait_until(lambda: len(flaky.ids()) == 3, what="three applied, one parked")
    first.stop()
    fixed = Flaky()
    fixed.broken = False
    second = IngestWorker(
        engine,
        broker.url,
        client_id="hub-r",
        projectors=[fixed],
        retry_policy=policy,
        projection_tick_s=0.05,
    ).start()
    try:
        assert second.wait_ready(10)
        wait_until(lambda: fixed.ids() == [envs[1].id], what="only the parked fact, retried")
    finally:
        second.stop()


def test_a_busy_lane_writes_its_cursor_on_its_tick_and_a_new_process_applies_the_rest_again(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cursor is not one more commit per key press: written at most every CURSOR_EVERY_S
    (here: not within the test) and on the tick; a process that dies before re-applies."""
    monkeypatch.setattr(lane_module, "CURSOR_EVERY_S", 3600.0)
    applied = Flaky()
    applied.broken = False
    lane = Lane(applied, sqlite_engine, policy=RetryPolicy(), alerts=None, stats=IngestStats())
    lane.start()  # a new lane starts at the log's head: 0
    envs = [punch(seq=s) for s in range(1, 6)]
    for env in envs:  # each stored, then handed to the lane live, as ingest does
        result = store_batch(sqlite_engine, [env], [], datetime.now(UTC))
        lane.live(IngestBatch((env,)), result.new_pos, result.spans)
    assert applied.ids() == [e.id for e in envs]

    def cursor() -> int | None:
        with sqlite_engine.connect() as conn:
            return read_cursor(conn, lane.name)

    assert cursor() == 0  # applied, cursor not yet written
    again = Flaky()  # a process killed here: the next one applies the five again
    again.broken = False
    Lane(again, sqlite_engine, policy=RetryPolicy(), alerts=None, stats=IngestStats()).catch_up()
    assert again.ids() == [e.id for e in envs]
    lane.flush()  # the projection's tick
    assert cursor() == 5
    fresh = Flaky()
    fresh.broken = False
    Lane(fresh, sqlite_engine, policy=RetryPolicy(), alerts=None, stats=IngestStats()).catch_up()
    assert fresh.ids() == []


def test_facts_caught_up_from_the_log_keep_the_time_they_reached_the_hub(
    sqlite_engine: Engine,
) -> None:
    """A catch-up hands each fact its own receipt time (the queue judges a key press's age by
    it, not by when a restarted hub gets to it)."""

    class Receipts(Flaky):
        def __init__(self) -> None:
            super().__init__()
            self.broken = False
            self.when: dict[str, datetime | None] = {}

        def project(self, engine: Engine, batch: IngestBatch) -> None:
            super().project(engine, batch)
            self.when.update({e.id: batch.received_of(e) for e in batch.events})

    seen = Receipts()
    lane = Lane(seen, sqlite_engine, policy=RetryPolicy(), alerts=None, stats=IngestStats())
    lane.start()
    base = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    envs = [punch(seq=s, staff=f"S00{s}") for s in range(1, 4)]
    for minutes, env in enumerate(envs):
        store_batch(sqlite_engine, [env], [], base + timedelta(minutes=minutes))
    assert lane.catch_up() == 3
    assert seen.when == {e.id: base + timedelta(minutes=m) for m, e in enumerate(envs)}
