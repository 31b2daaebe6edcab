"""A lane's cursor never passes a fact it has not applied (issue 14, point 4).

Two ways a cursor could pass a stored fact, each reproduced deterministically here:

- **A fact committed late with a smaller position.** On PostgreSQL, transactions that take
  positions from a sequence can commit out of position order: a reader sees position 2 while
  1 is still uncommitted, moves its cursor to 2, and never looks back. The fact log takes its
  positions from one counter row (hub.events.tables.FactCounter) whose row lock holds the
  second transaction until the first has committed, so positions become visible in order.
- **A fact stored before a new lane took its starting point** (the log's head): measured by
  the ten-kill bench on PostgreSQL at load ~13, the first 16 tickets and 19 away signs of the
  run were never projected, because the worker stored them while its projection thread was
  still starting. The worker now stores nothing until every lane holds its cursor.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.ingest.factlog import head
from hub.ingest.lane import Lane, RetryPolicy
from hub.ingest.lanestore import lane_lock
from hub.ingest.stats import IngestStats
from hub.ingest.store import insert_events, store_batch
from hub.ingest.worker import IngestWorker
from tests.hub.ingest.conftest import Publisher, punch, wait_until
from tests.hub.ingest.test_lanes import Flaky
from tests.support.broker import Broker


def _waiting_on_a_lock(engine: Engine, statement: str) -> bool:
    """True when another session's `statement` waits for a lock (pg_stat_activity)."""
    with engine.connect() as conn:
        found = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE :q AND pid <> pg_backend_pid()"
            ),
            {"q": f"{statement}%"},
        ).scalar_one()
    return bool(found)


def test_a_sequence_commits_out_of_order_on_postgresql(pg_engine: Engine) -> None:
    """The hazard itself, with two connections: a sequence's later value commits first, and a
    reader that follows the highest visible value has passed a row still to come."""
    with pg_engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE seq_log (pos BIGSERIAL PRIMARY KEY, what TEXT)"))
    with pg_engine.connect() as first, pg_engine.connect() as second:
        first.execute(sa.text("INSERT INTO seq_log (what) VALUES ('first')"))
        second.execute(sa.text("INSERT INTO seq_log (what) VALUES ('second')"))
        second.commit()  # nothing makes it wait for the first
        with pg_engine.connect() as reader:
            seen = reader.execute(sa.text("SELECT pos FROM seq_log ORDER BY pos")).scalars().all()
        first.commit()
    assert seen == [2]  # a cursor at 2 now would never apply position 1


def test_fact_log_positions_become_visible_in_order_on_postgresql(pg_engine: Engine) -> None:
    """The same schedule on the fact log: the second store waits on the counter until the first
    commits; a lane catching up meanwhile applies nothing, then both facts in order."""
    recorder = Flaky()
    recorder.broken = False
    lane = Lane(recorder, pg_engine, policy=RetryPolicy(), alerts=None, stats=IngestStats())
    lane.start()  # a new lane: its cursor is the log's head, 0
    early, late = punch(seq=1, staff="S001"), punch(seq=2, staff="S002")
    now = datetime.now(UTC)
    with pg_engine.connect() as first:
        inserted = insert_events(first, [early], now)  # position 1, not committed yet
        assert inserted.new_pos == [1]
        second = threading.Thread(target=store_batch, args=(pg_engine, [late], [], now))
        second.start()
        wait_until(
            lambda: _waiting_on_a_lock(pg_engine, "UPDATE fact_counter"),
            10,
            "the second store waiting on the counter",
        )
        assert second.is_alive()  # it cannot take position 2 and commit before position 1
        assert lane.catch_up() == 0  # nothing visible yet: the cursor stays at 0
        with pg_engine.connect() as conn:
            assert head(conn) == 0
        first.commit()
    second.join(10)
    assert not second.is_alive()
    assert lane.catch_up() == 2
    assert recorder.ids() == [early.id, late.id]
    lane.flush()
    assert lane.durable == 2


def test_a_worker_stores_nothing_before_its_lanes_hold_their_cursors(
    engine: Engine, broker: Broker, publisher: Publisher
) -> None:
    """The projection thread is held at a new lane's first cursor (here: the test holds the
    lane's lock, as a loaded host or another worker's catch-up would); the facts that arrive
    meanwhile wait unstored, unacknowledged, then every one is applied."""
    recorder = Flaky()
    recorder.broken = False
    worker = IngestWorker(
        engine,
        broker.url,
        client_id="hub-late-lanes",
        batch_ms=5,
        projectors=[recorder],
        projection_tick_s=0.05,
    )
    envs = [punch(seq=s, staff=f"S00{s}") for s in range(1, 6)]
    try:
        with lane_lock(engine, "attendance"):
            worker.start()
            assert worker.wait_ready(10)
            for env in envs:
                publisher.send_env(env)
            wait_until(lambda: worker.stats.received == len(envs), 10, "the facts received")
            time.sleep(0.5)  # the writer had them: before the fix it stored them here
            with engine.connect() as conn:
                assert head(conn) == 0
            assert not worker.projection.lanes_ready.is_set()
        wait_until(
            lambda: sorted(recorder.ids()) == sorted(e.id for e in envs), 20, "every fact applied"
        )
        with engine.connect() as conn:
            assert head(conn) == len(envs)
    finally:
        worker.stop()
