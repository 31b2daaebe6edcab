"""attendance_0003/0004: substitutes stored before their hall existed get one (rule ATT-7), and
so do punches imported before (DUTY-1, RATE-2)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from hub.db import MIGRATIONS, make_engine, migrate

T = datetime(2025, 6, 3, 0, 0, tzinfo=UTC).replace(tzinfo=None)  # as the old rows held it


def before_halls(db_url: str, staff: dict[str, str], subs: list[tuple[str, str]]) -> Engine:
    """A database at attendance_0002 with `staff` (id -> hall) and substitutes
    (leaver, substitute) at w02, as they were stored before the hall column."""
    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "staff_0001")
        command.upgrade(cfg, "attendance_0002")
    with engine.begin() as conn:
        for sid, hall in staff.items():
            conn.execute(
                sa.text(
                    'INSERT INTO staff (staff_id, hall, name, unit, "window", active, '
                    "created_at) VALUES (:s, :h, :s, '', 'w02', true, :t)"
                ),
                {"s": sid, "h": hall, "t": T},
            )
        for leaver, spare in subs:
            conn.execute(
                sa.text(
                    'INSERT INTO att_substitute ("window", staff_id, substitute_id, start, '
                    '"end", sent_by_unit, created_by, created_at) '
                    "VALUES ('w02', :l, :s, :t, :t, false, 'office', :t)"
                ),
                {"l": leaver, "s": spare, "t": T},
            )
    return engine


def halls_after(engine: Engine) -> list[tuple[str, str]]:
    """Each substitute's (leaver, hall) once every branch is at its head."""
    migrate(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT staff_id, hall FROM att_substitute ORDER BY id"))
        return [(r[0], r[1]) for r in rows]


def test_two_halls_each_old_substitute_takes_its_peoples_hall(db_url: str) -> None:
    """The leaver's hall; else the substitute's; else none (two halls: no guess)."""
    engine = before_halls(
        db_url,
        {"S021": "demo", "E021": "east", "E905": "east"},
        [("S021", "X1"), ("Z9", "E905"), ("Z9", "X1")],
    )
    assert halls_after(engine) == [("S021", "demo"), ("Z9", "east"), ("Z9", "")]
    engine.dispose()


def test_one_hall_every_old_substitute_is_its(db_url: str) -> None:
    """A deployment with one hall: a substitute for people the staff list lost is its too."""
    engine = before_halls(db_url, {"S021": "demo"}, [("S021", "X1"), ("Z9", "X1")])
    assert halls_after(engine) == [("S021", "demo"), ("Z9", "demo")]
    engine.dispose()


def test_old_imported_punches_take_their_staff_members_hall(db_url: str) -> None:
    """An imported punch (no event) of a known staff member gets their hall; a terminal's punch
    keeps its own; someone the staff list does not know keeps none."""
    engine = before_halls(db_url, {"S021": "demo", "E021": "east"}, [])
    with engine.begin() as conn:
        for event_id, staff, hall in (
            (None, "S021", ""),
            (None, "E021", ""),
            (None, "Z9", ""),
            ("01JEVENT00000000000000000A", "E021", "demo"),
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO att_punch (event_id, staff_id, at, hall, device) "
                    "VALUES (:e, :s, :t, :h, '')"
                ),
                {"e": event_id, "s": staff, "t": T, "h": hall},
            )
    migrate(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT staff_id, hall FROM att_punch ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [
        ("S021", "demo"),
        ("E021", "east"),
        ("Z9", ""),
        ("E021", "demo"),
    ]
    engine.dispose()
