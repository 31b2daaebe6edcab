"""End to end on the embedded demo broker: hallkeeper's edge Agent -> IngestWorker -> SQLite."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from edge.agent import Agent
from edge.drivers.away_sign import AwaySignDriver
from hub.demo.minibroker import EmbeddedBroker
from hub.events import queries
from hub.ingest.worker import IngestWorker
from tests.edge.hubside import NODE, SIGN, agent_settings, make_hall, retained_state, wait_until


def toggle(driver: AwaySignDriver, count: int) -> None:
    """Place / remove the sign `count` times (one fact each)."""
    for _ in range(count):
        driver.simulate_remove() if driver.placed else driver.simulate_place()


def stored_seqs(engine: Engine) -> list[int]:
    """Sequence numbers of the sign's stored facts (heartbeats are stored too: left out)."""
    rows = queries.events(engine, device=SIGN)
    return sorted(int(row["seq"]) for row in rows if row["type"] != "heartbeat")


def test_agent_facts_stored_exactly_once_across_a_hub_restart(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    with EmbeddedBroker() as mb:

        def worker() -> IngestWorker:
            """The hub's ingest on a persistent session (manual ack after commit)."""
            w = IngestWorker(
                sqlite_engine, mb.url, client_id="hub-e2e", batch_size=50, batch_ms=20
            ).start()
            assert w.wait_ready(10)
            return w

        ingest = worker()
        settings = agent_settings(mb.url, tmp_path / "edge")
        with Agent(make_hall(), NODE, settings, devices=[SIGN]) as agent:
            rt = agent.runtime(SIGN)
            wait_until(lambda: rt.session.ready, 10, "the agent to connect")
            driver = rt.driver
            assert isinstance(driver, AwaySignDriver)
            toggle(driver, 60)
            wait_until(lambda: len(stored_seqs(sqlite_engine)) >= 61, 30, "61 facts stored")
            ingest.stop()  # the hub goes away; the broker queues for its session
            toggle(driver, 140)
            last = rt.outbox.last_seq(SIGN)
            wait_until(lambda: bool(mb.state.sessions["hub-e2e"].queue), 10, "queued facts")
            ingest = worker()  # same client id: the queued facts arrive now
            wait_until(lambda: len(stored_seqs(sqlite_engine)) >= last, 30, "every fact stored")
            assert retained_state(mb.port, SIGN) == b"online"
        ingest.stop()
        assert retained_state(mb.port, SIGN) == b"offline"  # the agent's clean stop says so
    assert last == 201
    assert stored_seqs(sqlite_engine) == list(range(1, last + 1))  # each fact exactly once
    rows, distinct = queries.count_events(sqlite_engine)
    assert rows == distinct  # no row stored twice, heartbeats included
