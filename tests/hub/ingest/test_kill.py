"""kill -9 between commit and projection: every derived record appears, nothing twice (issue 14).

The default run kills the hub three times on SQLite; `pytest -m bench` runs the full test, ten
kills during a longer burst, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.hub.ingest.killrig import kill_during_burst
from tests.support.broker import Broker


def _check(result: object) -> None:
    from tests.hub.ingest.killrig import Outcome

    assert isinstance(result, Outcome)
    assert result.issued == result.issued_facts == result.tickets  # each ticket once
    assert result.punch_records == result.punches
    assert result.sign_marks == result.signs
    assert result.days > 0  # the punches were judged into day records
    # the kills struck facts that were stored but not projected: the restarts caught them up
    assert result.catch_ups >= 1, result


@pytest.mark.timeout(600)  # four hub starts: minutes on a loaded host
def test_three_kills_during_a_burst_lose_no_derived_record(
    sqlite_engine: Engine, broker: Broker, tmp_path: Path
) -> None:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    _check(kill_during_burst(sqlite_engine, url, broker, tmp_path, facts=400, kills=3))


@pytest.mark.bench
@pytest.mark.timeout(1200)  # ten restarts of a hub with three areas: minutes on a loaded host
def test_ten_kills_during_a_burst_lose_no_derived_record(
    engine: Engine, db_url: str, broker: Broker, tmp_path: Path
) -> None:
    _check(kill_during_burst(engine, db_url, broker, tmp_path, facts=2000, kills=10))
