"""Live: punches over a real broker through ingest re-judge their staff-day at once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from hub.areas import AreaContext
from hub.attendance.area import setup
from hub.attendance.projector import AttendanceProjector
from hub.attendance.store import read_days
from hub.commands import RecordingSender
from hub.events import queries
from hub.ingest.worker import IngestWorker
from models.layout import load_hall
from tests.hub.attendance.dbhelpers import punch_env
from tests.hub.attendance.helpers import at
from tests.hub.ingest.conftest import Publisher, wait_until
from tests.support.broker import Broker

DAY = "2025-06-03"
DEMO = Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo"


def am_in(engine: Engine, staff_id: str = "s1") -> tuple[str, object] | None:
    with engine.connect() as conn:
        rows = read_days(conn, date(2025, 6, 3), date(2025, 6, 3), staff_id)
    return (rows[0]["status"], rows[0]["punch_at"]) if rows else None


def test_punches_over_mqtt_including_one_hours_late(sqlite_engine: Engine, broker: Broker):
    engine = sqlite_engine
    parts = setup(
        AreaContext(
            engine=engine,
            halls=[load_hall(DEMO)],
            commands=RecordingSender(),
            clock=lambda: at(DAY, "20:00"),
        )
    )
    assert parts.name == "attendance" and parts.routers
    projector = parts.projectors[0]
    worker = IngestWorker(
        engine, broker.url, client_id="hub-att", batch_size=20, batch_ms=20, projectors=[projector]
    ).start()
    pub = Publisher(broker, "w01-face")
    try:
        assert worker.wait_ready(10)
        pub.send_env(punch_env("s1", at(DAY, "08:40"), 1))
        wait_until(lambda: am_in(engine) == ("late", at(DAY, "08:40")), what="late AM_IN")
        # the terminal was offline: its 08:20 punch arrives in the evening, judged by device time
        pub.send_env(punch_env("s1", at(DAY, "08:20"), 2))
        wait_until(lambda: am_in(engine) == ("ok", at(DAY, "08:20")), what="re-judged AM_IN")
    finally:
        pub.close()
        worker.stop()


def test_backfill_from_the_event_log_recovers_records(sqlite_engine: Engine, broker: Broker):
    engine = sqlite_engine
    worker = IngestWorker(
        engine, broker.url, client_id="hub-att2", batch_size=20, batch_ms=20
    ).start()  # no attendance projector: facts only
    pub = Publisher(broker, "w01-face")
    try:
        assert worker.wait_ready(10)
        for seq, t in enumerate(("08:10", "12:05", "13:55", "18:01"), 1):
            pub.send_env(punch_env("s1", at(DAY, t), seq))
        wait_until(lambda: queries.count_events(engine)[0] == 4, what="4 events stored")
    finally:
        pub.close()
        worker.stop()
    assert am_in(engine) is None
    projector = AttendanceProjector()
    assert projector.backfill(engine) == 4
    assert am_in(engine) == ("ok", at(DAY, "08:10"))
    assert projector.backfill(engine) == 0  # idempotent
