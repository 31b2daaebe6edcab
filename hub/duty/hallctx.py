"""One hall as the duty area sees it: zone, opening and closing, workdays, and its duty policy."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.compliance.schedule import WorkSchedule, schedule_from_policy
from hub.duty.policy import DEFAULT_PRESET, DutyPolicy, PolicyError, load_preset, parse_policy
from hub.duty.tables import DutyPolicyRow
from models.layout import Hall

logger = logging.getLogger(__name__)
POLICY = DutyPolicyRow.__table__  # type: ignore[attr-defined]


def utc_now() -> datetime:
    """The hub's clock (aware UTC)."""
    return datetime.now(UTC)


def _days_and_hours(hall: Hall) -> tuple[Callable[[date], bool], WorkSchedule]:
    """Workdays by the hall's attendance policy calendar (rule ATT-10; unknown years raise) and
    working hours by its checkpoints; the wenshang-2021 defaults when it cannot be read."""
    try:
        from hub.attendance.calendar import WorkCalendar
        from hub.attendance.policy import load_policy

        policy = load_policy(hall.attendance_policy, timezone=hall.timezone)
    except Exception as exc:  # attendance not built, or its policy unreadable: say so
        logger.warning("hall %s: default workdays and hours for duty (%s)", hall.id, exc)
        schedule = WorkSchedule(timezone=hall.timezone)
        return schedule.is_workday, schedule
    calendar = WorkCalendar(policy.calendar.extra_workdays, policy.calendar.extra_holidays)
    return calendar.is_workday, schedule_from_policy(policy)


@dataclass
class HallDuty:
    """A hall with the times and days the duty area judges by."""

    hall: Hall
    schedule: WorkSchedule = field(init=False)
    is_workday: Callable[[date], bool] = field(init=False)

    def __post_init__(self) -> None:
        self.is_workday, self.schedule = _days_and_hours(self.hall)

    @property
    def id(self) -> str:
        """The hall id."""
        return self.hall.id

    @property
    def zone(self) -> ZoneInfo:
        """The hall's zone (it decides the day)."""
        return ZoneInfo(self.hall.timezone)

    def local_day(self, at: datetime) -> date:
        """The hall-local date of an instant."""
        return at.astimezone(self.zone).date()

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """Local midnight to midnight."""
        start = datetime.combine(day, time(0), self.zone)
        return start, datetime.combine(day + timedelta(days=1), time(0), self.zone)

    def opening(self, day: date) -> datetime:
        """The hall's opening time on `day` (hall.toml opening_time)."""
        hh, mm = self.hall.opening_time.split(":")
        return datetime.combine(day, time(int(hh), int(mm)), self.zone)

    def closing(self, day: date) -> datetime:
        """End of the day's last working interval (the policy's summer/winter stop time)."""
        spans = self.schedule.summer if self.schedule.is_summer(day) else self.schedule.winter
        last = max((b for _, b in spans), default=time(18, 0))
        return datetime.combine(day, last, self.zone)

    def seats(self) -> list[tuple[str, str]]:
        """(seat, window) of every seat in the hall's order."""
        return [(s, w.id) for w in self.hall.windows for s in w.seats]

    def window_of(self, seat: str) -> str | None:
        """The window a seat belongs to."""
        return next((w.id for w in self.hall.windows if seat in w.seats), None)


def load_duty_policy(conn: Connection, hall: str) -> DutyPolicy:
    """The hall's own duty policy, or the default preset."""
    row = conn.execute(sa.select(POLICY.c.policy).where(POLICY.c.hall == hall)).first()
    if row is None or not row[0]:
        return load_preset(DEFAULT_PRESET)
    try:
        return parse_policy(dict(row[0]), f"duty policy of {hall}")
    except PolicyError:
        logger.exception("hall %s: stored duty policy unreadable; using the preset", hall)
        return load_preset(DEFAULT_PRESET)


def save_duty_policy(
    conn: Connection, hall: str, policy: DutyPolicy, actor: str, now: datetime
) -> None:
    """Store the hall's duty policy (replacing the old one)."""
    conn.execute(sa.delete(POLICY).where(POLICY.c.hall == hall))
    conn.execute(
        sa.insert(POLICY).values(
            hall=hall, policy=policy.model_dump(mode="json"), updated_at=now, updated_by=actor
        )
    )


def audit_in(conn: Connection, **entry: Any) -> None:
    """Write an audit-log entry (hub.users.accounts.audit) in the caller's transaction."""
    from sqlmodel import Session

    from hub.users.accounts import audit

    with Session(bind=conn) as session:
        audit(session, **entry)
        session.flush()
