"""The post ledger's values (pure): the facts of a day it is built from (the roster's seats,
approved absences, stand-ins, arrivals, presence, faces seen at the seats) and what it answers
(holdings, handovers, flags with their rules). hub.duty.ledger builds one from the other."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum


class Basis(StrEnum):
    """Why the holder holds the seat."""

    A = "A"  # the rostered A holder (DUTY-1)
    B = "B"  # B takes over (POST-7)
    SUBSTITUTE = "substitute"  # 替岗 (ATT-7)
    COVER = "cover"  # 顶岗 (POST-6)
    VACANT = "vacant"  # nobody


class FlagKind(StrEnum):
    """What the ledger found wrong."""

    SUBSTITUTE_MISSING = "substitute_missing"  # rule ATT-7: leaver gone, substitute not seen
    COVER_MISSING = "cover_missing"  # rule POST-6: cover not seen at the seat
    WINDOW_EMPTY = "window_empty"  # rules DUTY-1, POST-5: nobody holds any seat of a window
    FACE_MISMATCH = "face_mismatch"  # rule RATE-2: the face at the seat is not the holder


FLAG_RULES = {
    FlagKind.SUBSTITUTE_MISSING: "ATT-7",
    FlagKind.COVER_MISSING: "POST-6",
    FlagKind.WINDOW_EMPTY: "DUTY-1",
    FlagKind.FACE_MISMATCH: "RATE-2",
}


@dataclass(frozen=True, slots=True)
class SeatRoster:
    """One seat's rostered A and B holders for the day (rule DUTY-1)."""

    seat: str
    window: str
    a: str | None = None
    b: str | None = None


@dataclass(frozen=True, slots=True)
class Absence:
    """Approved leave of a staff member (rule ATT-5); `approved_at` dates the handover notice."""

    staff_id: str
    start: datetime
    end: datetime
    kind: str = "personal"
    approved_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class StandIn:
    """An approved substitute (for `for_staff` at `window`) or cover (at `seat`)."""

    basis: Basis  # SUBSTITUTE or COVER
    staff_id: str
    start: datetime
    end: datetime
    for_staff: str | None = None
    window: str | None = None
    seat: str | None = None
    leave_id: int | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class FaceSeen:
    """A face punch at a terminal that stands at a window (or seat): who is actually there."""

    at: datetime
    staff_id: str
    window: str
    seat: str | None = None


@dataclass(frozen=True)
class DayFacts:
    """Everything the ledger needs for one hall-day."""

    day: date
    opening: datetime
    closing: datetime
    seats: Sequence[SeatRoster]
    absences: Sequence[Absence] = ()
    stand_ins: Sequence[StandIn] = ()
    arrivals: Mapping[str, datetime] = field(default_factory=dict)
    presence: Mapping[str, Sequence[tuple[datetime, datetime | None]]] = field(default_factory=dict)
    faces: Sequence[FaceSeen] = ()
    punchers: frozenset[str] | None = None  # who can punch (None: everyone); others by presence
    punches_known: bool = True  # False: no punch at all that day (terminals down): unknown
    notice_days: int = 1  # rule POST-7: a planned absence is handed over a day ahead
    day_start: datetime | None = None
    day_end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Holding:
    """One stretch of a seat held by one person (or nobody) for one reason."""

    seat: str
    window: str
    staff_id: str | None
    basis: Basis
    start: datetime
    end: datetime
    cause: str = ""  # why A does not hold: a leave kind, "not_arrived", ...
    ref: int | None = None  # the leave or stand-in id behind it


@dataclass(frozen=True, slots=True)
class Handover:
    """A change of holder (rule POST-7: every handover is logged)."""

    seat: str
    window: str
    at: datetime
    from_staff: str | None
    to_staff: str | None
    basis: Basis
    cause: str
    planned: bool  # the absence behind it was approved at least `notice` ahead
    notice_at: datetime | None


@dataclass(frozen=True, slots=True)
class Flag:
    """Something the ledger found wrong, with its rule."""

    kind: FlagKind
    seat: str
    window: str
    staff_id: str | None
    start: datetime
    end: datetime
    detail: str = ""
    ref: int | None = None
    expected: str | None = None  # RATE-2: whom the ledger has at the seat (comma-joined)

    @property
    def rule(self) -> str:
        """The rule the flag cites."""
        return FLAG_RULES[self.kind]


@dataclass
class LedgerDay:
    """The ledger of one hall-day: holdings per seat, handovers and flags."""

    day: date
    holdings: list[Holding] = field(default_factory=list)
    handovers: list[Handover] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    holder_seen: dict[str, datetime] = field(default_factory=dict)
    """Rule RATE-2: per seat a window's terminal watches, when a holder's own face was last
    seen there (a face mismatch flagged before it is over)."""

    def holder_at(self, seat: str, at: datetime) -> Holding | None:
        """The holding of `seat` at `at` (None outside the day or for an unknown seat)."""
        for h in self.holdings:
            if h.seat == seat and h.start <= at < h.end:
                return h
        return None

    def main_holder(self, seat: str) -> str | None:
        """Who held `seat` longest that day (None when nobody did)."""
        held: dict[str, float] = {}
        for h in self.holdings:
            if h.seat == seat and h.staff_id is not None:
                held[h.staff_id] = held.get(h.staff_id, 0.0) + (h.end - h.start).total_seconds()
        return max(sorted(held), key=lambda s: held[s]) if held else None

    def staff_at(self, seat: str, at: datetime) -> str | None:
        """Who holds `seat` at `at`, else who held it just before (whoever left it)."""
        for when in (at, at - timedelta(seconds=1)):
            h = self.holder_at(seat, when)
            if h is not None and h.staff_id is not None:
                return h.staff_id
        return None

    def staff(self) -> set[str]:
        """Everyone who holds a seat at some moment of the day."""
        return {h.staff_id for h in self.holdings if h.staff_id is not None}


def holding_at(holdings: Sequence[Holding], at: datetime) -> Holding | None:
    """The holding covering `at` in one seat's sorted holdings."""
    starts = [h.start for h in holdings]
    i = bisect_right(starts, at) - 1
    if i >= 0 and holdings[i].start <= at < holdings[i].end:
        return holdings[i]
    return None
