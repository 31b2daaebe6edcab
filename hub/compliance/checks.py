"""What the duty chief's random on-post checks (rule POST-8) need from compliance.

`plan_times` is pure: random times inside the day's working intervals, at least `min_gap_min`
apart, one per half when the day has two. `sensed` says whether the sign and presence timeline
puts each seat on post at an instant. Planning, the checklist and the log are hub.duty.checks.
"""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from hub.compliance.schedule import Interval
from hub.compliance.tables import (
    ComplianceMark,
    SeatAssignment,
    utc,
)
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
