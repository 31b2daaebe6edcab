"""The duty chief's twice-daily random on-post checks and their log (rule POST-8).

`plan_times` is pure: two random times inside the day's working intervals, at least
`min_gap_min` apart, one per half when the day has two. `plan_day` stores them (once per
day), `sensed` says who the sign and presence timeline puts on post at an instant, and
`record_check` logs what the duty chief saw, next to what the sensors said.
"""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.compliance.schedule import Interval
from hub.compliance.tables import (
    ComplianceMark,
    DutyCheckEntry,
    DutyCheckRow,
    SeatAssignment,
    utc,
)
from hub.db import session_scope
from hub.dbtypes import aware
from models.layout import Hall

logger = logging.getLogger(__name__)


def plan_times(
    working: Sequence[Interval], rng: random.Random, count: int = 2, min_gap_min: float = 60
) -> list[datetime]:
    """`count` random instants in working hours (rule POST-8), sorted, whole minutes."""
    if not working:
        return []
    if len(working) >= count:  # one per working interval, spread over the day
        step = len(working) / count
        pools = [[working[int(i * step)]] for i in range(count)]
    else:
        pools = [list(working)] * count
    for _ in range(100):
        picks = []
        for pool in pools:
            iv = rng.choice(pool)
            minutes = max(0, int(iv.seconds // 60) - 1)
            picks.append(iv.start + timedelta(minutes=rng.randint(0, minutes)))
        picks.sort()
        gaps = [(b - a).total_seconds() / 60 for a, b in itertools.pairwise(picks)]
        if all(g >= min_gap_min for g in gaps):
            return picks
    return picks


@dataclass(frozen=True)
class SeatOnPost:
    """Who holds a seat and whether sign and presence say they are on post."""

    seat: str
    window: str
    staff_id: str | None
    on_post: bool | None


def sensed(session: Session, hall: Hall, at: datetime) -> list[SeatOnPost]:
    """Per seat, the sensors' view at `at`: present and no away sign (None: no data today)."""
    day = at.astimezone(ZoneInfo(hall.timezone)).date()
    rows = session.exec(
        select(ComplianceMark)
        .where(
            ComplianceMark.hall == hall.id,
            ComplianceMark.day == day,
            col(ComplianceMark.at) <= utc(at),
        )
        .order_by(col(ComplianceMark.at))
    ).all()
    staff = {
        a.seat: a.staff_id
        for a in session.exec(select(SeatAssignment).where(SeatAssignment.hall == hall.id)).all()
    }
    out = []
    for w in hall.windows:
        for seat in w.seats:
            present: bool | None = None
            sign = False
            for r in rows:
                if r.seat != seat:
                    continue
                if r.kind == "presence":
                    present = r.on
                elif r.kind == "sign":
                    sign = r.on
            on_post = None if present is None else (present and not sign)
            out.append(SeatOnPost(seat, w.id, staff.get(seat), on_post))
    return out


def plan_day(
    engine: Engine,
    hall: Hall,
    day: date,
    working: Sequence[Interval],
    rng: random.Random | None = None,
) -> list[DutyCheckRow]:
    """The day's two planned checks, created on first call (the same ones after)."""
    with session_scope(engine) as session:
        existing = session.exec(
            select(DutyCheckRow)
            .where(DutyCheckRow.hall == hall.id, DutyCheckRow.day == day)
            .order_by(col(DutyCheckRow.slot))
        ).all()
        if existing:
            return list(existing)
        rows = [
            DutyCheckRow(hall=hall.id, day=day, slot=i + 1, planned_at=utc(t))
            for i, t in enumerate(plan_times(working, rng or random.SystemRandom()))
        ]
        for r in rows:
            session.add(r)
        session.flush()
        logger.info(
            "duty checks for %s on %s at %s",
            hall.id,
            day,
            ", ".join(str(r.planned_at) for r in rows),
        )
        return rows


def record_check(
    engine: Engine,
    hall: Hall,
    check_id: int,
    *,
    checked_by: str,
    at: datetime,
    seen: Mapping[str, bool] | None = None,
    notes: Mapping[str, str] | None = None,
    note: str = "",
) -> list[DutyCheckEntry]:
    """Log a performed check: per seat the holder, the sensors' view and what the chief saw."""
    seen, notes = seen or {}, notes or {}
    with session_scope(engine) as session:
        check = session.get(DutyCheckRow, check_id)
        if check is None or check.hall != hall.id:
            raise KeyError(check_id)
        check.performed_at, check.checked_by, check.note = utc(at), checked_by, note
        session.add(check)
        for old in session.exec(
            select(DutyCheckEntry).where(DutyCheckEntry.check_id == check_id)
        ).all():
            session.delete(old)
        entries = [
            DutyCheckEntry(
                check_id=check_id,
                seat=s.seat,
                window=s.window,
                staff_id=s.staff_id,
                sensed_on_post=s.on_post,
                seen_on_post=seen.get(s.seat),
                note=notes.get(s.seat, ""),
            )
            for s in sensed(session, hall, at)
        ]
        for e in entries:
            session.add(e)
        return entries


def check_log(engine: Engine, hall: str, start: date, end: date) -> list[dict[str, object]]:
    """The duty-check log with entries, for the API and the written report."""
    with Session(engine) as session:
        checks = session.exec(
            select(DutyCheckRow)
            .where(
                DutyCheckRow.hall == hall,
                col(DutyCheckRow.day) >= start,
                col(DutyCheckRow.day) <= end,
            )
            .order_by(col(DutyCheckRow.planned_at))
        ).all()
        out: list[dict[str, object]] = []
        for c in checks:
            entries = session.exec(
                select(DutyCheckEntry)
                .where(DutyCheckEntry.check_id == c.id)
                .order_by(col(DutyCheckEntry.seat))
            ).all()
            out.append(
                {
                    "id": c.id,
                    "day": c.day.isoformat(),
                    "slot": c.slot,
                    "planned_at": aware(c.planned_at),
                    "performed_at": aware(c.performed_at),
                    "checked_by": c.checked_by,
                    "note": c.note,
                    "entries": [e.model_dump(exclude={"id", "check_id"}) for e in entries],
                }
            )
        return out
