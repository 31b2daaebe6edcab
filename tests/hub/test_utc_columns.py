"""Every timestamp column of the hub is `UtcDateTime` (hub.dbtypes): a hall-local bound counts
the hall's day, on SQLite (which compares the stored UTC text) as on PostgreSQL.

The hall's zone decides the day (rules ATT-1, POST-1, QUEUE-5, RATE-2): in Asia/Shanghai 00:30
and 07:50 are 16:30 and 23:50 UTC the day before, and a bound given as Shanghai midnight used to
be written on SQLite as its wall time, so those facts fell out of their day (62aa360 fixed the
post ledger alone). Each area's own query is bound here with Shanghai times, not UTC; a naive
time is refused before it reaches the database; the text SQLite stores is the one plain
`DateTime(timezone=True)` stored, so rows written before the type compare as they did. Login
attempts are forgotten by age with a hall-local cutoff too (PRIV-1: nothing kept longer).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import hub.tables
from hub.attendance.store import load_facts
from hub.attendance.tables import AttPunch
from hub.compliance.tables import ComplianceMark
from hub.dbtypes import UtcDateTime
from hub.duty.ledger_store import punches
from hub.events.queries import events
from hub.users.accounts import purge_attempts
from hub.users.tables import LoginAttempt
from models.events import EventType
from models.layout import Device
from tests.hub.duty.support import HALL, TZ, local

MONDAY = date(2026, 12, 7)
SUNDAY = MONDAY - timedelta(days=1)
IN_DAY = ("00:30", "07:50")  # 16:30 and 23:50 UTC on Sunday
PUNCH = AttPunch.__table__  # type: ignore[attr-defined]
FACE = Device(id="w02-face", kind="face_terminal", node="pi-w02", window="w02")


def hall_day() -> tuple[datetime, datetime]:
    """Monday in the hall, bound in Shanghai time (not UTC): the bounds a caller may give."""
    start = datetime.combine(MONDAY, datetime.min.time(), TZ)
    return start, start + timedelta(days=1)


def facts_at() -> list[datetime]:
    """Two facts in Monday's first eight hours, and one at 23:59 on Sunday (not Monday's)."""
    return [local(MONDAY, t) for t in IN_DAY] + [local(SUNDAY, "23:59")]


def expected() -> list[datetime]:
    return [local(MONDAY, t).astimezone(UTC) for t in IN_DAY]


def add_punches(engine: Engine, hall: str, staff: str = "S011", device: str = "ent-face1") -> None:
    rows = [{"staff_id": staff, "at": at, "hall": hall, "device": device} for at in facts_at()]
    with engine.begin() as conn:
        conn.execute(sa.insert(PUNCH), rows)


def test_every_timestamp_column_is_utc_datetime() -> None:
    """No area keeps a plain DateTime: one type binds UTC for every query of every area."""
    plain = [
        f"{t.name}.{c.name}"
        for t in hub.tables.metadata.sorted_tables
        for c in t.columns
        if isinstance(c.type, sa.DateTime)
        or (
            isinstance(c.type, sa.types.TypeDecorator)
            and not isinstance(c.type, UtcDateTime)
            and isinstance(c.type.impl_instance, sa.DateTime)
        )
    ]
    assert plain == []


def test_a_naive_time_is_refused(engine: Engine) -> None:
    """A naive datetime, bound to a query or written, never reaches the database."""
    naive = datetime(2026, 12, 7, 0, 30)
    with engine.connect() as conn, pytest.raises(sa.exc.StatementError, match="naive"):
        conn.execute(sa.select(PUNCH).where(PUNCH.c.at >= naive)).all()
    with engine.begin() as conn, pytest.raises(sa.exc.StatementError, match="naive"):
        conn.execute(sa.insert(PUNCH), [{"staff_id": "S011", "at": naive, "hall": HALL.id}])


def test_sqlite_keeps_the_utc_text_of_old_rows(sqlite_engine: Engine) -> None:
    """The stored text is naive UTC with microseconds, as plain DateTime wrote it (and ingest
    writes it by hand, hub.ingest.dbsql): no migration, and an old row compares as before."""
    add_punches(sqlite_engine, HALL.id)
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO att_punch (staff_id, at, hall, device) "
            "VALUES ('S012', '2026-12-06 17:00:00.000000', ?, 'ent-face1')",
            (HALL.id,),
        )
        text = conn.exec_driver_sql("SELECT at FROM att_punch ORDER BY id").scalars().all()
        old = conn.execute(
            sa.select(PUNCH.c.at).where(PUNCH.c.staff_id == "S012", PUNCH.c.at >= hall_day()[0])
        ).scalar_one()
    assert text[:3] == [
        "2026-12-06 16:30:00.000000",
        "2026-12-06 23:50:00.000000",
        "2026-12-06 15:59:00.000000",
    ]
    assert old == local(MONDAY, "01:00")


def test_attendance_punches_count_in_the_hall_day(engine: Engine) -> None:
    """Rule ATT-1: the day's punches are those of the hall's day, whatever zone bounds it."""
    add_punches(engine, HALL.id)
    with engine.connect() as conn:
        found, _, _ = load_facts(conn, *hall_day())
    assert [p.at for p in found] == expected()
    assert all(p.at.tzinfo is UTC for p in found)


def test_compliance_marks_count_in_the_hall_day(engine: Engine) -> None:
    """Rules POST-1/POST-2: a seat's marks in the hall's first hours are on its timeline."""
    with Session(engine) as s:
        for i, at in enumerate(facts_at()):
            day = at.astimezone(TZ).date()
            s.add(
                ComplianceMark(
                    event_id=f"e{i}",
                    subject="w01-a",
                    hall=HALL.id,
                    window="w01",
                    seat="w01-a",
                    day=day,
                    kind="presence",
                    at=at,
                    device="w01-radar",
                )
            )
        s.commit()
        start, end = hall_day()
        q = select(ComplianceMark).where(ComplianceMark.at >= start, ComplianceMark.at < end)
        got = sorted(m.at for m in s.exec(q).all())
    assert got == expected()


def test_login_attempts_forgotten_by_age(engine: Engine) -> None:
    """PRIV-1 (keep nothing longer than needed): a hall-local cutoff forgets exactly what is
    older; 23:59 Sunday goes, 00:30 and 07:50 Monday stay."""
    with Session(engine) as s:
        for at in facts_at():
            s.add(LoginAttempt(username="office", ip="127.0.0.1", at=at, ok=True))
        s.commit()
    assert purge_attempts(engine, hall_day()[0]) == 1
    with Session(engine) as s:
        kept = sorted(a.at for a in s.exec(select(LoginAttempt)).all())
    assert kept == expected()


def test_ledger_punches_are_this_halls(engine: Engine) -> None:
    """Rules RATE-2 / DUTY-1: the post ledger's arrivals and faces are its own hall's, on a hub
    serving several halls (same staff id, same terminal name w02-face), bound in hall time."""
    hall = HALL.model_copy(update={"devices": [*HALL.devices, FACE]})
    add_punches(engine, "other-hall", staff="S011", device=FACE.id)
    with engine.connect() as conn:
        assert punches(conn, hall, *hall_day()) == ({}, [])
    add_punches(engine, hall.id, staff="S012", device=FACE.id)
    with engine.connect() as conn:
        first, faces = punches(conn, hall, *hall_day())
    assert first == {"S012": expected()[0]}
    assert [(f.staff_id, f.at) for f in faces] == [("S012", at) for at in expected()]


def test_events_listed_in_hall_time(engine: Engine) -> None:
    """The fact log filtered by device time (exports, replays) with hall-local bounds."""
    with engine.begin() as conn:
        for i, at in enumerate(facts_at()):
            conn.execute(
                sa.insert(hub.tables.metadata.tables["event"]),
                {
                    "pos": i + 1,
                    "event_id": f"01J{i:023d}",
                    "hall": HALL.id,
                    "device": "ent-face1",
                    "seq": i + 1,
                    "type": EventType.PUNCH.value,
                    "device_ts": at,
                    "ts_offset_min": 480,
                    "synced": False,
                    "received_at": at,
                    "body": "{}",
                },
            )
    got = [e["device_ts"] for e in events(engine, hall=HALL.id, since=hall_day()[0])]
    assert got == expected()
