"""The fact log's positions: given to facts stored before they existed, then in commit order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from hub.db import MIGRATIONS, make_engine, migrate
from hub.events import queries
from hub.ingest.factlog import head, read_facts
from hub.ingest.pipeline import handle_batch
from tests.hub.ingest.conftest import evt_topic, punch


def test_an_old_log_gets_positions_in_receipt_order_and_new_facts_follow(db_url: str) -> None:
    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "ingest_0001")  # the log as it was before positions
    t0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    old = [punch(seq=n) for n in (1, 2, 3)]
    with engine.begin() as conn:
        for k, env in enumerate(reversed(old)):  # received newest-id first
            conn.execute(
                sa.text(
                    "INSERT INTO event (event_id, hall, device, seq, type, device_ts, "
                    "ts_offset_min, synced, received_at, body) VALUES (:i, 'demo', "
                    "'w01-face', :s, 'punch', :ts, 480, true, :r, :b)"
                ),
                {
                    "i": env.id,
                    "s": env.seq,
                    "ts": env.ts.astimezone(UTC).replace(tzinfo=None),
                    "r": (t0 + timedelta(seconds=k)).replace(tzinfo=None),
                    "b": env.body.json_text(),
                },
            )
        conn.execute(
            sa.text(
                "INSERT INTO dead_letter (received_at, topic, reason, payload, size) "
                "VALUES (:r, 'hk/v1/demo/w09-rate/evt', 'not authorised: x', :p, 1)"
            ),
            {"r": t0.replace(tzinfo=None), "p": b"x"},
        )
    migrate(engine)
    with engine.connect() as conn:
        facts = read_facts(conn, 0, head(conn), {"punch"})
    assert [f.pos for f in facts] == [1, 2, 3]
    assert [f.event_id for f in facts] == [e.id for e in reversed(old)]
    assert [f.envelope for f in facts] == list(reversed(old))  # read back whole
    new = punch(seq=4)
    handle_batch(engine, [(evt_topic(new), new.to_json())], datetime.now(UTC), give_up=bool)
    with engine.connect() as conn:
        (last,) = read_facts(conn, 3, head(conn), {"punch"})
    assert (last.pos, last.event_id) == (4, new.id)
    (letter,) = queries.dead_letters(engine)
    assert (letter["code"], letter["hall"], letter["device"]) == (
        "not_authorised",
        "demo",
        "w09-rate",
    )
    engine.dispose()


def test_positions_follow_commits_and_duplicates_leave_holes(engine: Engine) -> None:
    envs = [punch(seq=n) for n in range(1, 6)]
    msgs = [(evt_topic(e), e.to_json()) for e in envs]
    first = handle_batch(engine, msgs[:3], datetime.now(UTC), give_up=bool)
    again = handle_batch(engine, msgs[2:], datetime.now(UTC), give_up=bool)
    assert (first.spans, first.new_pos) == ([(0, 3)], [1, 2, 3])
    assert (again.spans, again.new_pos) == ([(3, 6)], [5, 6])  # 4 went to the duplicate
    with engine.connect() as conn:
        assert head(conn) == 6
        assert [f.pos for f in read_facts(conn, 0, 6, {"punch"})] == [1, 2, 3, 5, 6]
