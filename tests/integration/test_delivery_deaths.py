"""Issue 21 point 2: the broker killed with -9 mid-stream (persistence off and on), also in
turn with a hub ingest worker and an edge agent, and the hub's database unreachable, with edge
agent processes and two hub ingest worker processes on PostgreSQL: every fact stored exactly
once. Short runs here; the long ones (10 cycles each, a minute's outage) behind the bench mark
and in `hallkeeper bench delivery --deaths`.

Before hub-acknowledged delivery, 420-720 of 1,212 facts were lost this way (issue 21): the
agents reconnected before the hub, sent their backlog to a broker with no subscriber and
deleted it on PUBACK.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.bench.deaths import broker_deaths, database_outage


@pytest.fixture
def fresh_pg(pg_migrated_url: str) -> str:
    """A new PostgreSQL database for one run (a copy of the migrated template: the run's
    `migrate` finds it at the newest schema)."""
    return pg_migrated_url


def check(result: dict[str, Any], least: int) -> None:
    """Each device: seq 1..N stored (N its outbox's last seq, at least `least`), one row and
    one event id per fact: nothing twice, nothing missing."""
    facts, stored = result["facts"], result["stored"]
    assert len(facts) == len(stored) == 2, result
    for device, n in facts.items():
        assert n >= least, (device, result)
        assert stored[device] == {"rows": n, "ids": n, "seqs": n, "lo": 1, "hi": n}, result
    assert result["ok"] is True


@pytest.mark.slow
def test_broker_kill_9_mid_stream_every_fact_stored_once(tmp_path: Path, fresh_pg: str) -> None:
    """Persistence off: the broker comes back empty, the hub's session and queue gone."""
    check(broker_deaths(tmp_path, fresh_pg, cycles=2, persistence=False, per_cycle=120), 360)


@pytest.mark.slow
def test_broker_hub_and_edge_killed_in_turn_every_fact_stored_once(
    tmp_path: Path, fresh_pg: str
) -> None:
    """Persistence on (a stale snapshot comes back), then a hub worker and an edge agent die."""
    result = broker_deaths(
        tmp_path,
        fresh_pg,
        cycles=3,
        persistence=True,
        kill=("broker", "hub", "edge"),
        per_cycle=100,
    )
    check(result, 400)


@pytest.mark.slow
def test_database_unreachable_then_back_every_fact_stored_once(
    tmp_path: Path, fresh_pg: str
) -> None:
    check(database_outage(tmp_path, fresh_pg, outage_s=8, facts=450), 450)


@pytest.mark.bench
@pytest.mark.parametrize("persistence", [False, True], ids=["persistence-off", "persistence-on"])
def test_broker_kill_9_ten_cycles(tmp_path: Path, fresh_pg: str, persistence: bool) -> None:
    check(broker_deaths(tmp_path, fresh_pg, cycles=10, persistence=persistence), 1650)


@pytest.mark.bench
def test_broker_hub_and_edge_killed_ten_times_each(tmp_path: Path, fresh_pg: str) -> None:
    kill = ("broker", "hub", "edge")
    result = broker_deaths(tmp_path, fresh_pg, cycles=30, persistence=True, kill=kill, per_cycle=60)
    check(result, 1860)


@pytest.mark.bench
def test_database_unreachable_for_a_minute(tmp_path: Path, fresh_pg: str) -> None:
    check(database_outage(tmp_path, fresh_pg, outage_s=60, facts=1500), 1500)
