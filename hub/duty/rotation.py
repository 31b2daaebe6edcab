"""The duty chief (值班长, rule DUTY-2): two-week terms in the centre's order, stand-ins, and the
early arrival of staff and duty chief before opening (rule ATT-12). Pure.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Rotation:
    """The centre's order of duty chiefs from `anchor` on, `term_days` each (rule DUTY-2)."""

    anchor: date
    order: tuple[str, ...]
    term_days: int = 14
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ChiefStandIn:
    """A stand-in for the duty chief's own leave, approved by the head duty chief (DUTY-2)."""

    chief: str
    staff_id: str
    start: date
    end: date
    approved_by: str = ""


@dataclass(frozen=True, slots=True)
class Term:
    """One duty chief's term: the rostered chief and the days of the term."""

    index: int
    staff_id: str
    start: date
    end: date


def current_rotation(rotations: Sequence[Rotation], day: date) -> Rotation | None:
    """The rotation in force on `day`: the latest one anchored on or before it."""
    valid = [r for r in rotations if r.anchor <= day and r.order]
    return max(valid, key=lambda r: (r.anchor, r.id or 0)) if valid else None


def term_of(rotation: Rotation, day: date) -> Term:
    """The term `day` falls in (rule DUTY-2: each staff member in turn, `term_days` each)."""
    index = (day - rotation.anchor).days // rotation.term_days
    start = rotation.anchor + timedelta(days=index * rotation.term_days)
    staff = rotation.order[index % len(rotation.order)]
    return Term(index, staff, start, start + timedelta(days=rotation.term_days - 1))


def terms(rotations: Sequence[Rotation], start: date, end: date) -> list[Term]:
    """The terms that overlap [start, end], in order (each cut where a new rotation begins)."""
    out: list[Term] = []
    day = start
    while day <= end:
        rot = current_rotation(rotations, day)
        if rot is None:
            day += timedelta(days=1)
            continue
        t = term_of(rot, day)
        nxt = [r.anchor for r in rotations if day < r.anchor <= t.end]
        stop = min(nxt) - timedelta(days=1) if nxt else t.end
        out.append(Term(t.index, t.staff_id, t.start, stop))
        day = stop + timedelta(days=1)
    return out


def chief_of(
    rotations: Sequence[Rotation],
    stand_ins: Sequence[ChiefStandIn],
    day: date,
    away: Collection[str] = (),
) -> tuple[str, str | None] | None:
    """(Who is duty chief on `day`, the rostered chief when someone stands in) or None.

    Rule DUTY-2: an approved stand-in serves for the rostered chief. A rostered chief on leave
    (`away`) with no approved stand-in: the next in the centre's order who is at work stands in
    (`unapproved_leave` says so, for the alert); nobody at work: None."""
    rot = current_rotation(rotations, day)
    if rot is None:
        return None
    rostered = term_of(rot, day).staff_id
    for s in stand_ins:
        if s.chief == rostered and s.start <= day <= s.end:
            return s.staff_id, rostered
    if rostered not in away:
        return rostered, None
    i = rot.order.index(rostered)
    after = [*rot.order[i + 1 :], *rot.order[:i]]
    nxt = next((p for p in after if p not in away), None)
    return (nxt, rostered) if nxt is not None else None


def unapproved_leave(
    rotations: Sequence[Rotation],
    stand_ins: Sequence[ChiefStandIn],
    day: date,
    away: Collection[str],
) -> str | None:
    """Rule DUTY-2: the rostered chief on leave `day` without an approved stand-in, else None."""
    rot = current_rotation(rotations, day)
    if rot is None:
        return None
    rostered = term_of(rot, day).staff_id
    covered = any(s.chief == rostered and s.start <= day <= s.end for s in stand_ins)
    return rostered if rostered in away and not covered else None


class Early(StrEnum):
    """ATT-12's verdict on one staff member's arrival before opening."""

    OK = "ok"  # on post at least the minimum before opening
    SHORT = "short"  # before opening, but less than the minimum
    AFTER = "after"  # at or after opening (lateness is attendance's verdict)
    NONE = "none"  # no punch that day


@dataclass(frozen=True, slots=True)
class Arrival:
    """One staff-day's arrival against opening (rule ATT-12)."""

    staff_id: str
    day: date
    chief: bool
    first_punch: datetime | None
    minutes_before: float | None
    verdict: Early
    needed_min: int


def judge_arrival(
    staff_id: str,
    day: date,
    opening: datetime,
    first_punch: datetime | None,
    *,
    chief: bool,
    staff_min: int,
    chief_min: int,
) -> Arrival:
    """Rule ATT-12: staff `staff_min`, the duty chief `chief_min` minutes before opening."""
    needed = chief_min if chief else staff_min
    if first_punch is None:
        return Arrival(staff_id, day, chief, None, None, Early.NONE, needed)
    before = (opening - first_punch).total_seconds() / 60
    if before <= 0:
        verdict = Early.AFTER
    elif before < needed:
        verdict = Early.SHORT
    else:
        verdict = Early.OK
    return Arrival(staff_id, day, chief, first_punch, round(before, 1), verdict, needed)
