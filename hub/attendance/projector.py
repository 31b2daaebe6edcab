"""Live attendance: each punch event re-judges its own staff-day at once, however late it came.

The stored day records always equal a full recompute from the facts (ARCHITECTURE "facts are
stored, verdicts are derived"); closed months are frozen (rule ATT-8) and only gain facts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hub.attendance.engine import DayRecord, Expected, Judge, PunchFact
from hub.attendance.policy import Policy, load_policy
from hub.attendance.store import (
    aware,
    closed_months,
    day_bounds,
    delete_days,
    employment,
    insert_punches,
    load_facts,
    lock_staff_day,
    month_key,
    punch_rows,
    roster_ids,
    staff_halls,
    write_days,
)
from hub.ingest.hooks import IngestBatch
from models.envelope import Envelope
from models.events import EventType, Punch

logger = logging.getLogger(__name__)


ExpectedSource = Callable[[Connection, Judge, date, date], Expected]
"""Who is expected at work on which day from `start` to `end`, read from the database."""


def by_employment(conn: Connection, judge: Judge, start: date, end: date) -> Expected:
    """The default: every workday of each staff member within their start and leaving dates."""
    return judge.expected(employment(conn, judge.zone))


class AttendanceProjector:
    """Implements hub.ingest.hooks.Projector for punch events (rules ATT-1, ATT-8)."""

    name = "attendance"
    facts = frozenset({EventType.PUNCH})
    """Durable lane (hub.ingest.lane): every stored punch reaches attendance, once."""

    @staticmethod
    def fact_key(env: Envelope) -> str:
        """A failing punch holds back only its own staff member's punches."""
        return env.body.staff_id if isinstance(env.body, Punch) else env.hall

    def __init__(
        self,
        policy: Policy | None = None,
        judge: Judge | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        expected: ExpectedSource = by_employment,
    ) -> None:
        """Judge with `policy` (default: the wenshang-2021 preset).

        `clock` is the hall's clock (what is not yet due is 未到; None judges every day as
        over); `expected` says who is judged on which day (the roster hands its own).
        """
        self.judge = judge or Judge(policy or load_policy())
        self.policy = self.judge.policy
        self.clock = clock
        self.expected = expected

    def now(self) -> datetime | None:
        """The hall's clock, if the projector has one."""
        return self.clock() if self.clock is not None else None

    def project(self, engine: Engine, batch: IngestBatch) -> None:
        """Store the batch's punches and re-judge each staff-day they touch."""
        rows: list[dict[str, Any]] = []
        for env in batch.events:
            if env.type is EventType.PUNCH and isinstance(env.body, Punch):
                rows.append(
                    {
                        "staff_id": env.body.staff_id,
                        "at": env.ts.astimezone(UTC),
                        "event_id": env.id,
                        "hall": env.hall,
                        "device": env.device,
                    }
                )
        if not rows:
            return
        keys = {(r["staff_id"], self.judge.local_day(r["at"])) for r in rows}
        with engine.begin() as conn:
            insert_punches(conn, rows)
            self.rejudge_keys(conn, keys)

    def rejudge_punches(self, engine: Engine, punches: Sequence[PunchFact]) -> list[DayRecord]:
        """Store punches that carry no event (imports) and re-judge their staff-days.

        An imported punch names no terminal: its hall is its staff member's, so that each
        hall's post ledger reads it as its own, and no other hall's (DUTY-1, RATE-2)."""
        keys = {(p.staff_id, self.judge.local_day(p.at)) for p in punches}
        with engine.begin() as conn:
            halls = staff_halls(conn, (p.staff_id for p in punches))
            insert_punches(conn, punch_rows(punches, halls))
            return self.rejudge_keys(conn, keys)

    def backfill(
        self, engine: Engine, since: datetime | None = None, until: datetime | None = None
    ) -> int:
        """Copy punch events from the hub's event log (the facts) and re-judge their days.

        Idempotent (event ids are unique); recovers records after a projector failure.
        Returns the number of punches that were new.
        """
        from hub.events.tables import Event

        table = Event.__table__  # type: ignore[attr-defined]
        q = sa.select(
            table.c.event_id, table.c.hall, table.c.device, table.c.device_ts, table.c.body
        ).where(table.c.type == EventType.PUNCH.value)
        if since is not None:
            q = q.where(table.c.device_ts >= since.astimezone(UTC))
        if until is not None:
            q = q.where(table.c.device_ts < until.astimezone(UTC))
        with engine.begin() as conn:
            rows = [
                {
                    "staff_id": json.loads(body)["staff_id"],
                    "at": aware(ts),
                    "event_id": eid,
                    "hall": hall,
                    "device": device,
                }
                for eid, hall, device, ts, body in conn.execute(q)
            ]
            new = insert_punches(conn, rows)
            self.rejudge_keys(conn, {(r["staff_id"], self.judge.local_day(r["at"])) for r in rows})
        logger.info("attendance backfill: %d punch events, %d new", len(rows), new)
        return new

    def rejudge_keys(self, conn: Connection, keys: Iterable[tuple[str, date]]) -> list[DayRecord]:
        """Re-judge the given staff-days from their facts, inside the caller's transaction."""
        frozen = closed_months(conn)
        out: list[DayRecord] = []
        todo = sorted(set(keys))
        if not todo:
            return out
        now = self.now()
        days = [d for _s, d in todo]
        expect = self.expected(conn, self.judge, min(days), max(days))
        for staff_id, day in todo:
            if month_key(day) in frozen:
                logger.info(
                    "month %s is closed: %s %s keeps its record", month_key(day), staff_id, day
                )
                continue
            lock_staff_day(conn, staff_id, day)
            delete_days(conn, staff_id, day, day)  # takes the write lock before reading
            start, end = day_bounds(day, self.judge.zone)
            punches, leaves, fixes = load_facts(conn, start, end, staff_id)
            record = self.judge.judge_day(
                staff_id,
                day,
                punches=punches,
                leaves=leaves,
                corrections=fixes,
                expected=expect,
                now=now,
            )
            if record is not None:
                write_days(conn, [record])
                out.append(record)
        return out

    def recompute(self, conn: Connection, start: date, end: date) -> list[DayRecord]:
        """Judge every staff member's workdays from `start` to `end` from scratch and store them.

        Closed months are left as they are; returns the records of the open days.
        """
        frozen = closed_months(conn)
        t0, _ = day_bounds(start, self.judge.zone)
        _, t1 = day_bounds(end, self.judge.zone)
        punches, leaves, fixes = load_facts(conn, t0, t1)
        records = self.judge.judge(
            punches=punches,
            leaves=leaves,
            corrections=fixes,
            start=start,
            end=end,
            roster=roster_ids(conn),
            expected=self.expected(conn, self.judge, start, end),
            now=self.now(),
        )
        records = [r for r in records if month_key(r.day) not in frozen]
        for month in _months(start, end):
            if month in frozen:
                continue
            m0, m1 = max(start, _first(month)), min(end, _last(month))
            delete_days(conn, None, m0, m1)
        write_days(conn, records)
        return records


def _first(month: str) -> date:
    try:
        y, m = month.split("-")
        if len(y) != 4 or len(m) != 2:
            raise ValueError
        return date(int(y), int(m), 1)
    except ValueError:
        raise ValueError(f"month must be YYYY-MM, not {month!r}") from None


def _last(month: str) -> date:
    first = _first(month)
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def _months(start: date, end: date) -> list[str]:
    out, d = [], date(start.year, start.month, 1)
    while d <= end:
        out.append(month_key(d))
        d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return out


def month_range(month: str) -> tuple[date, date]:
    """First and last day of a YYYY-MM month."""
    return _first(month), _last(month)
