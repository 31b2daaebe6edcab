"""Live attendance: each punch event re-judges its own staff-day at once, however late it came.

The stored day records always equal a full recompute from the facts (ARCHITECTURE "facts are
stored, verdicts are derived"); closed months are frozen (rule ATT-8) and only gain facts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
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
    staff_halls_all,
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
        halls: Mapping[str, Policy] | None = None,
    ) -> None:
        """Judge with `policy` (default: the wenshang-2021 preset).

        `clock` is the hall's clock (what is not yet due is 未到; None judges every day as
        over); `expected` says who is judged on which day (the roster hands its own).
        `halls` (hall id -> its policy, the first hall first) judges each staff member with
        their own hall's policy; `policy` is then the first hall's, for staff of no hall served.
        """
        self.judge = judge or Judge(policy or load_policy())
        self.policy = self.judge.policy
        self.clock = clock
        self.expected = expected
        self.judges: dict[str, Judge] = {}
        for hall, own in (halls or {}).items():
            alike = (j for j in (self.judge, *self.judges.values()) if j.policy == own)
            self.judges[hall] = next(alike, None) or Judge(own)
        self.default_hall = next(iter(self.judges), "")
        if self.judges:  # staff of a hall this hub does not serve: the first hall's policy
            self.judge = self.judges[self.default_hall]
            self.policy = self.judge.policy
        self.one_policy = all(j is self.judge for j in self.judges.values())
        """Every hall judges alike: no staff member's hall need be looked up."""

    def hall_of(self, recorded: str | None) -> str:
        """The hall whose policy judges a staff member recorded at `recorded` (the staff list's
        hall): that hall when this hub serves it, else the first hall."""
        return recorded if recorded is not None and recorded in self.judges else self.default_hall

    def judge_of(self, hall: str | None) -> Judge:
        """The judge of a hall this hub serves (the first hall's for any other)."""
        return self.judges.get(hall or "", self.judge)

    def staff_judges(self, conn: Connection, staff_ids: Iterable[str]) -> dict[str, Judge]:
        """Staff id -> the judge of their own hall (ATT-1..ATT-6 are each hall's policy); empty
        when every hall judges alike (one query saved on the live path)."""
        if self.one_policy:
            return {}
        return {s: self.judge_of(h) for s, h in staff_halls(conn, staff_ids).items()}

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
        with engine.begin() as conn:
            insert_punches(conn, rows)
            self.rejudge_at(conn, ((r["staff_id"], r["at"]) for r in rows))

    def rejudge_punches(self, engine: Engine, punches: Sequence[PunchFact]) -> list[DayRecord]:
        """Store punches that carry no event (imports) and re-judge their staff-days.

        An imported punch names no terminal: its hall is its staff member's, so that each
        hall's post ledger reads it as its own, and no other hall's (DUTY-1, RATE-2)."""
        with engine.begin() as conn:
            halls = staff_halls(conn, (p.staff_id for p in punches))
            insert_punches(conn, punch_rows(punches, halls))
            judges = {s: self.judge_of(h) for s, h in halls.items()}
            return self.rejudge_at(conn, ((p.staff_id, p.at) for p in punches), judges)

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
            self.rejudge_at(conn, ((r["staff_id"], r["at"]) for r in rows))
        logger.info("attendance backfill: %d punch events, %d new", len(rows), new)
        return new

    def rejudge_at(
        self,
        conn: Connection,
        punches: Iterable[tuple[str, datetime]],
        judges: Mapping[str, Judge] | None = None,
    ) -> list[DayRecord]:
        """Re-judge the staff-days of (staff id, instant) pairs: the day is the staff member's
        hall's (its zone decides the day)."""
        pairs = list(punches)
        if judges is None:
            judges = self.staff_judges(conn, {s for s, _at in pairs})
        keys = {(s, judges.get(s, self.judge).local_day(at)) for s, at in pairs}
        return self.rejudge_keys(conn, keys, judges)

    def rejudge_keys(
        self,
        conn: Connection,
        keys: Iterable[tuple[str, date]],
        judges: Mapping[str, Judge] | None = None,
    ) -> list[DayRecord]:
        """Re-judge the given staff-days from their facts, inside the caller's transaction, each
        with its staff member's hall's policy (`judges`: staff id -> judge, else looked up)."""
        frozen = closed_months(conn)
        out: list[DayRecord] = []
        todo = sorted(set(keys))
        if not todo:
            return out
        now = self.now()
        if judges is None:
            judges = self.staff_judges(conn, {s for s, _d in todo})
        days = [d for _s, d in todo]
        expects: dict[int, Expected] = {}
        for staff_id, day in todo:
            judge = judges.get(staff_id, self.judge)  # rule ATT-1: the staff member's hall's
            expect = expects.get(id(judge))
            if expect is None:
                expect = expects[id(judge)] = self.expected(conn, judge, min(days), max(days))
            if month_key(day) in frozen:
                logger.info(
                    "month %s is closed: %s %s keeps its record", month_key(day), staff_id, day
                )
                continue
            lock_staff_day(conn, staff_id, day)
            delete_days(conn, staff_id, day, day)  # takes the write lock before reading
            start, end = day_bounds(day, judge.zone)
            punches, leaves, fixes = load_facts(conn, start, end, staff_id)
            record = judge.judge_day(
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
        records = self.judge_period(conn, start, end, self.now())
        records = [r for r in records if month_key(r.day) not in frozen]
        for month in _months(start, end):
            if month in frozen:
                continue
            m0, m1 = max(start, _first(month)), min(end, _last(month))
            delete_days(conn, None, m0, m1)
        write_days(conn, records)
        return records

    def judge_period(
        self,
        conn: Connection,
        start: date,
        end: date,
        now: datetime | None,
        hall: str | None = None,
    ) -> list[DayRecord]:
        """Every staff-day from `start` to `end` judged from the facts (nothing stored), each
        staff member with their own hall's policy (rule ATT-1); with `hall`, that hall's staff
        only (rule ATT-8: a hall's month is its own). Sorted by staff and day."""
        out: list[DayRecord] = []
        halls: list[str | None] = [hall] if hall is not None else [*self.judges] or [None]
        for h in halls:
            members = self.hall_members(conn, h)
            out += self._judge_group(conn, self.judge_of(h), start, end, now, members)
        return sorted(out, key=lambda r: (r.staff_id, r.day))

    def report_hall(self, hall: str | None) -> str | None:
        """The hall a report is of (rule ATT-8): the one asked for, else the first hall; None
        (everyone) when the projector knows no halls. A hall not served is a ValueError."""
        if hall is None:
            return self.default_hall if self.judges else None
        if self.judges and hall not in self.judges:
            raise UnknownHall(hall)
        return hall

    def hall_members(self, conn: Connection, hall: str | None) -> Container[str] | None:
        """A hall's staff as its judge counts them (the staff list's hall; with the first hall,
        anyone not on the list); None (everyone) for no hall."""
        if hall is None:
            return None
        recorded = staff_halls_all(conn)
        if not self.judges:
            return _Members({s for s, rh in recorded.items() if rh == hall}, None)
        mine = {s for s, rh in recorded.items() if self.hall_of(rh) == hall}
        return _Members(mine, set(recorded) if hall == self.default_hall else None)

    def _judge_group(
        self,
        conn: Connection,
        judge: Judge,
        start: date,
        end: date,
        now: datetime | None,
        members: Container[str] | None,
    ) -> list[DayRecord]:
        """`members` (None: everyone) judged by `judge`."""
        t0, _ = day_bounds(start, judge.zone)
        _, t1 = day_bounds(end, judge.zone)
        punches, leaves, fixes = load_facts(conn, t0, t1)
        roster = roster_ids(conn)
        if members is not None:
            punches = [p for p in punches if p.staff_id in members]
            leaves = [x for x in leaves if x.staff_id in members]
            fixes = [x for x in fixes if x.staff_id in members]
            roster = [s for s in roster if s in members]
        return judge.judge(
            punches=punches,
            leaves=leaves,
            corrections=fixes,
            start=start,
            end=end,
            roster=roster,
            expected=self.expected(conn, judge, start, end),
            now=now,
        )


class UnknownHall(ValueError):
    """A report asked of a hall this hub does not serve (refused as error.unknown_hall)."""


class _Members:
    """A hall's staff (the staff list), and with `known` also anyone not on the list."""

    __slots__ = ("known", "staff")

    def __init__(self, staff: set[str], known: set[str] | None) -> None:
        self.staff, self.known = staff, known

    def __contains__(self, staff_id: object) -> bool:
        return staff_id in self.staff or (self.known is not None and staff_id not in self.known)


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
