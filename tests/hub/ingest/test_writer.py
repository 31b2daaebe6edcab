"""The writer process: answers in order, a killed child is replaced with nothing lost; and
which writer "auto" picks."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.events import queries
from hub.ingest import writer as writer_mod
from hub.ingest.writer import ProcessWriter, resolve_writer
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


def test_auto_takes_a_process_given_a_second_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    file_db = sa.make_url("sqlite:////tmp/hub.db")
    monkeypatch.setattr(writer_mod, "usable_cpus", lambda: 2)
    assert resolve_writer("auto", file_db) == "process"
    assert resolve_writer("auto", sa.make_url("postgresql+psycopg://h/db")) == "process"
    assert resolve_writer("auto", sa.make_url("sqlite://")) == "thread"  # a child cannot see it
    assert resolve_writer("thread", file_db) == "thread"
    monkeypatch.setattr(writer_mod, "usable_cpus", lambda: 1)
    assert resolve_writer("auto", file_db) == "thread"  # one CPU: the GIL is no cost there
    assert resolve_writer("process", file_db) == "process"  # asked for, given


def test_a_bad_writer_choice_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="'auto', 'thread' or 'process'"):
        resolve_writer("fork", sa.make_url("sqlite:////tmp/hub.db"))
    with pytest.raises(ValueError, match="in-memory SQLite"):
        resolve_writer("process", sa.make_url("sqlite:///:memory:"))
