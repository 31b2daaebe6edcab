"""Filing a month's roster: from a file, or by editing one cell of the version in force.

Both check the rows against the hall layout and the staff list and refuse the whole filing on
any error (nothing half-filed); warnings are returned beside the new version (rule DUTY-1).
A month whose attendance is closed (ATT-8) is not refiled: who was expected is settled. Two
operators filing at once: the second filing is applied on top of the first (a cell edit keeps
both cells), never lost and never a server error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hub.attendance.calendar import CalendarError
from hub.duty.assessment_store import month_closed
from hub.duty.hallctx import HallDuty
from hub.duty.roster import (
    ROLE_WORDS,
    Parsed,
    Role,
    RosterEntry,
    RosterIssue,
    check_entries,
    issue,
    month_days,
    month_key,
    parse_rows,
)
from hub.duty.roster_store import STAFF, VERSION, file_roster, month_entries
from hub.duty.rosterio import RosterFileError, read_roster

logger = logging.getLogger(__name__)


class RosterRefused(ValueError):
    """The roster was not filed; `issues` say why (catalogue keys with their values)."""

    def __init__(self, issues: list[RosterIssue]) -> None:
        super().__init__(", ".join(i.key for i in issues[:5]))
        self.issues = issues


@dataclass
class Filed:
    """A version filed, and the warnings that came with it."""

    version: dict[str, Any]
    warnings: list[RosterIssue] = field(default_factory=list)


ATTEMPTS = 5
"""Filings tried when another operator's filing of the same month got in first."""


def _filing(
    engine: Engine, month: str, work: Callable[[Connection], dict[str, Any]]
) -> dict[str, Any]:
    """Run `work` in one transaction: refused for a closed month (ATT-8); tried again on the
    newer version when another filing of the month committed first (their version number)."""
    for attempt in range(ATTEMPTS):
        try:
            with engine.begin() as conn:
                # the write lock first (a no-op UPDATE: the database's lock on SQLite, whose
                # deferred transaction otherwise reads an older month and files over the
                # other operator's edit; PostgreSQL catches that by the version's uniqueness)
                conn.execute(sa.update(VERSION).where(sa.false()).values(id=VERSION.c.id))
                if month_closed(conn, month):
                    raise RosterRefused([issue("roster_err_closed", month=month)])
                return work(conn)
        except (sa.exc.IntegrityError, sa.exc.OperationalError) as exc:
            if attempt == ATTEMPTS - 1:
                logger.warning("roster of %s not filed: %s", month, exc)
                raise RosterRefused([issue("roster_err_busy", month=month)]) from None
            logger.info("roster of %s: another filing came first; filing again", month)
    raise AssertionError("unreachable")


def _known_staff(engine: Engine, hall: str) -> set[str]:
    with engine.connect() as conn:
        q = sa.select(STAFF.c.staff_id).where(STAFF.c.hall == hall)
        return set(conn.execute(q).scalars())


def calendar_issue(exc: CalendarError) -> RosterIssue:
    """A calendar refusal as a roster issue in its own words (the year to enter, rule ATT-10)."""
    return RosterIssue(exc.key, 0, tuple((k, str(v)) for k, v in exc.values.items()))


def _parse(
    hd: HallDuty, rows: list[tuple[int, dict[str, str]]], month: str | None, known: set[str]
) -> Parsed:
    try:
        return parse_rows(rows, hd.hall, known_staff=known, workday=hd.is_workday, month=month)
    except CalendarError as exc:
        raise RosterRefused([calendar_issue(exc)]) from None  # rule ATT-10, in words


def import_roster(
    engine: Engine,
    hd: HallDuty,
    data: bytes,
    *,
    filename: str,
    actor: str,
    now: datetime,
    month: str | None = None,
    why: str = "",
) -> Filed:
    """File a month's roster from a CSV or XLSX file (all of the month, replacing the old)."""
    try:
        rows = read_roster(data, filename)
    except RosterFileError as exc:
        raise RosterRefused([exc.issue]) from None
    if month is not None:
        try:
            month_days(month)
        except ValueError:
            raise RosterRefused([issue("roster_err_month_text", month=month)]) from None
    parsed = _parse(hd, rows, month, _known_staff(engine, hd.id))
    if not parsed.ok:
        raise RosterRefused([i for i in parsed.issues if i.error])
    months = sorted({month_key(e.day) for e in parsed.entries})
    if not months:
        raise RosterRefused([issue("roster_err_empty")])
    if len(months) > 1 or (month is not None and months != [month]):
        raise RosterRefused([issue("roster_err_months", months=", ".join(months))])
    version = _filing(
        engine,
        months[0],
        lambda conn: file_roster(
            conn,
            hd,
            months[0],
            parsed.entries,
            actor=actor,
            now=now,
            source="import",
            filename=filename,
            why=why,
        ),
    )
    return Filed(version, [i for i in parsed.issues if not i.error])


def edit_roster(
    engine: Engine,
    hd: HallDuty,
    *,
    day: date,
    seat: str,
    role: str,
    staff_id: str | None,
    actor: str,
    now: datetime,
    why: str = "",
) -> Filed:
    """Set (or clear, with staff_id None) who holds a role at a seat on a day: a new version."""
    the_role = ROLE_WORDS.get(role.strip().lower())
    if the_role is None:
        raise RosterRefused([issue("roster_err_role", role=role)])
    window = hd.window_of(seat) or next((w.id for w in hd.hall.windows if w.id == seat), None)
    if window is None:
        raise RosterRefused([issue("roster_err_seat", seat=seat)])
    if the_role is not Role.CHIEF and seat == window:
        raise RosterRefused([issue("roster_err_seat", seat=seat)])
    if staff_id is not None and staff_id not in _known_staff(engine, hd.id):
        raise RosterRefused([issue("roster_err_staff", staff=staff_id)])
    month = month_key(day)
    try:
        holiday = not hd.is_workday(day)
    except CalendarError as exc:
        raise RosterRefused([calendar_issue(exc)]) from None  # rule ATT-10, in words
    the_seat = None if the_role is Role.CHIEF else seat

    def work(conn: Connection) -> dict[str, Any]:
        entries = [
            e
            for e in month_entries(conn, hd.id, month)
            if not (
                e.day == day and e.role is the_role and (e.seat or e.window) == (the_seat or window)
            )
        ]
        if staff_id is not None:
            entries.append(RosterEntry(staff_id, day, window, the_seat, the_role, holiday))
        problems = [i for i in check_entries(entries, hd.hall) if i.error]
        if problems:
            raise RosterRefused(problems)
        return file_roster(conn, hd, month, entries, actor=actor, now=now, why=why)

    return Filed(_filing(engine, month, work))
