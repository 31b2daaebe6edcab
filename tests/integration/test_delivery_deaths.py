"""Issue 21 point 2: the broker killed with -9 mid-stream (persistence off and on) and the hub's
database unreachable, with edge agent processes and two hub ingest worker processes on
PostgreSQL: every fact stored exactly once. Short runs here; the long ones (10 cycles, a
minute's outage) behind the bench mark and `hallkeeper bench delivery --deaths`.

Before hub-acknowledged delivery, 420-720 of 1,212 facts were lost this way (issue 21): the
agents reconnected before the hub, sent their backlog to a broker with no subscriber and
deleted it on PUBACK.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.bench.deaths import broker_deaths, database_outage
from tests.support.pg import create_database, drop_database


@pytest.fixture
def fresh_pg() -> Iterator[str]:
    """A new PostgreSQL database for one run."""
    name, url = create_database("hk_deaths")
    yield url
    drop_database(name)


def check(result: dict[str, object]) -> None:
    """Each device: seq 1..N stored, one row per fact, nothing twice, nothing missing."""
    n = result["facts_per_device"]
    stored = result["stored"]
    assert isinstance(stored, dict) and len(stored) == 2, result
    for device, counts in stored.items():
        assert counts == {"rows": n, "ids": n, "seqs": n, "lo": 1, "hi": n}, (device, result)
    assert result["ok"] is True


@pytest.mark.slow
@pytest.mark.parametrize("persistence", [False, True], ids=["persistence-off", "persistence-on"])
def test_broker_kill_9_mid_stream_every_fact_stored_once(
    tmp_path: Path, fresh_pg: str, persistence: bool
) -> None:
    check(broker_deaths(tmp_path, fresh_pg, cycles=2, persistence=persistence, per_cycle=120))


@pytest.mark.slow
def test_database_unreachable_then_back_every_fact_stored_once(
    tmp_path: Path, fresh_pg: str
) -> None:
    check(database_outage(tmp_path, fresh_pg, outage_s=8, facts=450))


@pytest.mark.bench
@pytest.mark.parametrize("persistence", [False, True], ids=["persistence-off", "persistence-on"])
def test_broker_kill_9_ten_cycles(tmp_path: Path, fresh_pg: str, persistence: bool) -> None:
    check(broker_deaths(tmp_path, fresh_pg, cycles=10, persistence=persistence))


@pytest.mark.bench
def test_database_unreachable_for_a_minute(tmp_path: Path, fresh_pg: str) -> None:
    check(database_outage(tmp_path, fresh_pg, outage_s=60, facts=1500))
