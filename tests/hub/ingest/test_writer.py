"""The writer process: answers in order, and a killed child is replaced with nothing lost."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from hub.events import queries
from hub.ingest.writer import ProcessWriter
from tests.hub.ingest.conftest import evt_topic, punch


def test_a_killed_writer_process_is_replaced_and_its_batch_stored_once(
    sqlite_engine: Engine,
) -> None:
    writer = ProcessWriter(sqlite_engine.url.render_as_string(hide_password=False))
    try:
        batches = [[punch(seq=b * 10 + k) for k in range(1, 11)] for b in range(3)]
        now = datetime.now(UTC)
        writer.submit([(evt_topic(e), e.to_json()) for e in batches[0]], now)
        assert writer.result().stored == 10
        for batch in batches[1:]:
            writer.submit([(evt_topic(e), e.to_json()) for e in batch], now)
        os.kill(writer._proc.pid, signal.SIGKILL)  # dies with two batches unanswered
        outcomes = [writer.result(), writer.result()]
        assert writer.restarts == 1
        assert all(o.committed for o in outcomes)
        assert sum(o.stored + o.duplicates for o in outcomes) == 20
        assert outcomes[0].new == []  # envelopes stay in the child; the parent gets indexes
        assert queries.count_events(sqlite_engine) == (30, 30)
    finally:
        writer.close()
