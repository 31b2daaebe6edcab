"""Helpers of the duty tests: the demo hall, its staff and roster, a settable clock, punches."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.attendance.tables import AttPunch
from hub.db import session_scope
from hub.demo.seed import seed_staff
from hub.duty.demo_roster import BACKUPS, month_roster
from hub.duty.ledger_store import hall_duty
from hub.duty.roster_store import file_roster
from hub.staff.tables import Staff
from models.layout import load_hall

TZ = ZoneInfo("Asia/Shanghai")
HALL = load_hall(Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo")
HD = hall_duty(HALL)
MONTH = "2026-12"


class Clock:
    """A settable hub clock."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def local(day: date, hhmm: str) -> datetime:
    """A hall-local time on a day."""
    return datetime.combine(day, time.fromisoformat(hhmm), TZ)


def seed_people(engine: Engine) -> None:
    """The demo hall's seated staff and its backup staff."""
    seed_staff(engine, HALL)
    with session_scope(engine) as session:
        for staff_id, name in BACKUPS:
            if session.get(Staff, staff_id) is None:
                session.add(
                    Staff(
                        staff_id=staff_id,
                        hall=HALL.id,
                        name=name,
                        unit="行政审批局",
                        created_at=datetime.now(UTC),
                    )
                )


def file_demo_roster(engine: Engine, month: str = MONTH, at: datetime | None = None) -> None:
    """File the demo roster of a month (before it began, unless `at` says otherwise)."""
    entries = month_roster(HALL, month, HD.is_workday)
    with engine.begin() as conn:
        file_roster(
            conn,
            HD,
            month,
            entries,
            actor="office",
            now=at or datetime(2026, 11, 25, 9, 0, tzinfo=TZ),
            source="demo",
        )


def add_punches(
    engine: Engine, punches: Iterable[tuple[str, datetime]], device: str = "ent-face1"
) -> None:
    """Punches as the attendance projector stores them (att_punch)."""
    rows = [
        {"staff_id": s, "at": at.astimezone(UTC), "hall": HALL.id, "device": device}
        for s, at in punches
    ]
    if rows:
        with engine.begin() as conn:
            conn.execute(sa.insert(AttPunch.__table__), rows)  # type: ignore[attr-defined]
