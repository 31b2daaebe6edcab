"""Database helpers for attendance tests: roster rows and punch envelopes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.attendance.store import STAFF
from models.envelope import Envelope, make_envelope
from models.events import Liveness, Punch


def add_staff(
    engine: Engine, *people: tuple[str, str, str], start: date | None = None, hall: str = "demo"
) -> None:
    """Roster rows (staff_id, unit, window) of `hall` in the staff area's table, added 1 Jan
    2025."""
    with engine.begin() as conn:
        for sid, unit, window in people:
            conn.execute(
                sa.insert(STAFF).values(
                    staff_id=sid,
                    hall=hall,
                    name=f"name-{sid}",
                    unit=unit,
                    window=window,
                    active=True,
                    created_at=datetime(2025, 1, 1, tzinfo=UTC),
                    start_date=start,
                )
            )


def punch_env(staff_id: str, ts: datetime, seq: int) -> Envelope:
    """A punch event from the demo hall's face terminal."""
    return make_envelope(
        hall="demo",
        device="w01-face",
        seq=seq,
        ts=ts,
        synced=True,
        body=Punch(staff_id=staff_id, distance=0.3, liveness=Liveness(passed=True)),
    )
