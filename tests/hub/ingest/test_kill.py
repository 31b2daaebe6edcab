"""kill -9 between commit and projection: every derived record appears, nothing twice (issue 14).

The default run kills the hub once on SQLite (tests/hub/ingest/test_log_order.py covers the
PostgreSQL cause deterministically); `pytest -m bench` runs the full test, ten kills during a
burst of 2,000 facts, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.hub.ingest.killrig import kill_during_burst
from tests.support.broker import Broker


def _check(result: object, *, caught_up: bool = True) -> None:
    from tests.hub.ingest.killrig import Outcome

    assert isinstance(result, Outcome)
    assert result.issued == result.issued_facts == result.tickets  # each ticket once
    assert result.punch_records == result.punches
    assert result.sign_marks == result.signs
    assert result.days > 0  # the punches were judged into day records
    if caught_up:  # ten kills always strike facts stored but not yet projected: caught up
        assert result.catch_ups >= 1, result


@pytest.mark.timeout(600)  # two hub starts: a minute on a loaded host
def test_a_kill_during_a_burst_loses_no_derived_record(
    sqlite_engine: Engine, broker: Broker, tmp_path: Path
) -> None:
    """The default run's short version: one kill (a hub start is ~15 s at load 15)."""
    url = sqlite_engine.url.render_as_string(hide_password=False)
    result = kill_during_burst(sqlite_engine, url, broker, tmp_path, facts=200, kills=1)
    _check(result, caught_up=False)


@pytest.mark.bench
@pytest.mark.timeout(1200)  # ten restarts of a hub with three areas: minutes on a loaded host
def test_ten_kills_during_a_burst_lose_no_derived_record(
    engine: Engine, db_url: str, broker: Broker, tmp_path: Path
) -> None:
    _check(kill_during_burst(engine, db_url, broker, tmp_path, facts=2000, kills=10))
