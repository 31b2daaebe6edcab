"""The post ledger: who holds each seat at each moment of a day, and why (pure).

One answer for the whole hub (ARCHITECTURE "Who holds each seat is one answer"): the rostered
A holder (rule DUTY-1); B when A is on leave, sick or not arrived (rule POST-7, automatic); an
approved substitute (rule ATT-7) or cover (rule POST-6), each on post only once they are seen
(their own punch, or presence at the seat after their time began). Every change of holder is
a handover; a stand-in not seen, an empty window and a face at the seat that is not the
holder's are flagged with their rule.

The day is cut at every instant where the answer can change (opening, leave and stand-in
bounds, arrivals, presence changes) and judged between cuts, seat by seat in the hall's
order: stand-ins first, then A holders, then B takeovers by a B holder who holds no other
seat at that moment. The same facts always give the same ledger.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from hub.duty.ledger_facts import (
    FLAG_RULES,
    Absence,
    Basis,
    DayFacts,
    FaceSeen,
    Flag,
    FlagKind,
    Handover,
    Holding,
    LedgerDay,
    SeatRoster,
    StandIn,
    holding_at,
)

__all__ = [
    "FLAG_RULES",
    "Absence",
    "Basis",
    "DayFacts",
    "FaceSeen",
    "Flag",
    "FlagKind",
    "Handover",
    "Holding",
    "LedgerDay",
    "SeatRoster",
    "StandIn",
    "build_ledger",
    "expected_staff",
    "holding_at",
]


@dataclass(frozen=True, slots=True)
class _Choice:
    staff_id: str | None
    basis: Basis
    cause: str = ""
    ref: int | None = None
    missing: tuple[StandIn, ...] = ()


class _Day:
    """The facts of a day indexed for judging instants."""

    def __init__(self, facts: DayFacts) -> None:
        self.f = facts
        self.absences: dict[str, list[Absence]] = {}
        for a in facts.absences:
            self.absences.setdefault(a.staff_id, []).append(a)
        self.presence = {s: sorted(iv, key=lambda i: i[0]) for s, iv in facts.presence.items()}

    def absent(self, staff: str, at: datetime) -> Absence | None:
        for a in self.absences.get(staff, ()):
            if a.start <= at < a.end:
                return a
        return None

    def arrived(self, staff: str, at: datetime) -> bool:
        """Seen by their own punch by `at`; before opening everyone is expected, and so is
        everyone on a day with no punch at all (unknown never counts as absent, DEV-4)."""
        if at < self.f.opening or not self.f.punches_known:
            return True
        first = self.f.arrivals.get(staff)
        return first is not None and first <= at

    def occupied_since(self, seat: str, since: datetime, at: datetime) -> bool:
        """Someone was at the seat at some moment in [since, at]."""
        for start, end in self.presence.get(seat, ()):
            if start <= at and (end is None or end > since):
                return True
        return False

    def stand_in_seen(self, s: StandIn, seat: str, at: datetime) -> bool:
        """Rules ATT-7, POST-6: on post once their punch or presence at the seat is seen.

        A cover is checked at the seat when its presence sensor reported by then. A substitute is
        seen by their own punch; by presence only when they cannot punch (not enrolled), as
        presence cannot tell a substitute from the B holder sitting in.
        """
        if at < self.f.opening and s.start < self.f.opening:
            return True
        since = max(s.start, self.f.opening)
        by_presence = self.occupied_since(seat, since, at)
        sensed = any(start <= at for start, _ in self.presence.get(seat, ()))
        if s.basis is Basis.COVER and sensed:  # the seat's sensor was reporting by then
            return by_presence
        first = self.f.arrivals.get(s.staff_id)
        if first is not None and first <= at:
            return True
        punchers = self.f.punchers
        return punchers is not None and s.staff_id not in punchers and by_presence


def _cuts(facts: DayFacts, start: datetime, end: datetime) -> list[datetime]:
    points = {start, facts.opening, facts.closing}
    for leave in facts.absences:
        points.update((leave.start, leave.end))
    for s in facts.stand_ins:
        points.update((s.start, s.end))
    points.update(facts.arrivals.values())
    for ivs in facts.presence.values():
        for on, off in ivs:
            points.add(on)
            if off is not None:
                points.add(off)
    return sorted(p for p in points if start <= p < end)


def _stand_ins_for(facts: DayFacts, seat: SeatRoster, holder: str | None) -> list[StandIn]:
    def applies(s: StandIn) -> bool:
        if s.basis is Basis.COVER:
            return s.seat == seat.seat
        return holder is not None and s.for_staff == holder and s.window in (None, seat.window)

    return [s for s in facts.stand_ins if applies(s)]


def _choose(day: _Day, seats: Sequence[SeatRoster], at: datetime) -> dict[str, _Choice]:
    """Who holds each seat at `at`: stand-ins, then A holders, then free B holders."""
    chosen: dict[str, _Choice] = {}
    busy: set[str] = set()
    pending: list[SeatRoster] = []
    for seat in seats:
        a_leave = day.absent(seat.a, at) if seat.a else None
        missing: list[StandIn] = []
        for s in _stand_ins_for(day.f, seat, seat.a):
            if not (s.start <= at < s.end) or s.staff_id in busy:
                continue
            if s.basis is Basis.SUBSTITUTE and a_leave is None:
                continue  # a substitute replaces the leaver only while they are away
            if day.stand_in_seen(s, seat.seat, at):
                chosen[seat.seat] = _Choice(s.staff_id, s.basis, "", s.id)
                busy.add(s.staff_id)
                break
            missing.append(s)
        if seat.seat in chosen:
            continue
        a_here = seat.a is not None and a_leave is None and seat.a not in busy
        cover_due = any(s.basis is Basis.COVER for s in missing)
        if a_here and not cover_due and day.arrived(seat.a or "", at):
            chosen[seat.seat] = _Choice(seat.a, Basis.A, missing=tuple(missing))
            busy.add(seat.a or "")
            continue
        cause = a_leave.kind if a_leave else ("not_arrived" if seat.a else "no_a_holder")
        if cover_due:  # the holder left for an approved cover (POST-6): the cover, not B
            chosen[seat.seat] = _Choice(None, Basis.VACANT, "cover_leave", None, tuple(missing))
            continue
        ref = a_leave.id if a_leave else None
        chosen[seat.seat] = _Choice(None, Basis.VACANT, cause, ref, tuple(missing))
        pending.append(seat)
    for seat in pending:  # rule POST-7: B takes over at once when free
        b = seat.b
        if b is None or b in busy or day.absent(b, at) or not day.arrived(b, at):
            continue
        old = chosen[seat.seat]
        chosen[seat.seat] = _Choice(b, Basis.B, old.cause, old.ref, old.missing)
        busy.add(b)
    return chosen


def build_ledger(facts: DayFacts) -> LedgerDay:
    """The ledger of one hall-day from its facts (rules DUTY-1, POST-7, ATT-7, POST-6)."""
    start = facts.day_start or facts.opening.replace(hour=0, minute=0, second=0, microsecond=0)
    end = facts.day_end or start + timedelta(days=1)
    day = _Day(facts)
    cuts = _cuts(facts, start, end)
    bounds = [*cuts[1:], end]
    ledger = LedgerDay(facts.day)
    open_h: dict[str, Holding] = {}
    missing_since: dict[tuple[str, int], tuple[StandIn, datetime, datetime]] = {}
    empty_since: dict[str, tuple[datetime, datetime]] = {}
    for at, until in zip(cuts, bounds, strict=True):
        choices = _choose(day, facts.seats, at)
        for seat in facts.seats:
            c = choices[seat.seat]
            h = open_h.get(seat.seat)
            same = h is not None and (h.staff_id, h.basis, h.cause) == (
                c.staff_id,
                c.basis,
                c.cause,
            )
            if h is not None and same:
                open_h[seat.seat] = replace(h, end=until)
            else:
                if h is not None:
                    ledger.holdings.append(h)
                    if h.staff_id != c.staff_id:
                        ledger.handovers.append(_handover(facts, day, seat, h, c, at))
                open_h[seat.seat] = Holding(
                    seat.seat, seat.window, c.staff_id, c.basis, at, until, c.cause, c.ref
                )
            if at >= facts.opening and at < facts.closing:
                for s in c.missing:
                    key = (seat.seat, id(s))
                    first = missing_since.get(key, (s, at, until))[1]
                    missing_since[key] = (s, first, until)
        if facts.opening <= at < facts.closing:
            for window in dict.fromkeys(s.window for s in facts.seats):
                seats = [s for s in facts.seats if s.window == window]
                if all(choices[s.seat].basis is Basis.VACANT for s in seats):
                    first = empty_since.get(window, (at, until))[0]
                    empty_since[window] = (first, until)
    ledger.holdings.extend(open_h.values())
    ledger.holdings.sort(key=lambda h: (h.seat, h.start))
    ledger.flags.extend(_missing_flags(facts, missing_since))
    ledger.flags.extend(_empty_flags(facts, empty_since))
    ledger.flags.extend(_face_flags(facts, ledger))
    ledger.flags.sort(key=lambda f: (f.start, f.seat, f.kind))
    return ledger


def _handover(
    facts: DayFacts, day: _Day, seat: SeatRoster, old: Holding, new: _Choice, at: datetime
) -> Handover:
    """Rule POST-7: planned when the absence was approved `notice_days` calendar days before."""
    notice_at = None
    if new.basis is Basis.B or old.basis is Basis.A:
        leave = day.absent(seat.a, at) if seat.a else None
        notice_at = leave.approved_at if leave else None
    planned = notice_at is not None and notice_at.astimezone(
        facts.opening.tzinfo
    ).date() <= facts.day - timedelta(days=facts.notice_days)
    return Handover(
        seat.seat,
        seat.window,
        at,
        old.staff_id,
        new.staff_id,
        new.basis,
        new.cause,
        planned,
        notice_at,
    )


def _missing_flags(
    facts: DayFacts, spans: Mapping[tuple[str, int], tuple[StandIn, datetime, datetime]]
) -> list[Flag]:
    window_of = {s.seat: s.window for s in facts.seats}
    out = []
    for (seat, _), (s, first, last) in spans.items():
        sub = s.basis is Basis.SUBSTITUTE
        kind = FlagKind.SUBSTITUTE_MISSING if sub else FlagKind.COVER_MISSING
        who = s.for_staff if sub else s.staff_id
        detail = f"{s.staff_id} not seen; {s.for_staff or '?'} away"
        ref = (_leave_of(facts, s, first, last) if sub else None) or s.id
        out.append(Flag(kind, seat, window_of[seat], who, first, last, detail, ref))
    return out


def _leave_of(facts: DayFacts, s: StandIn, first: datetime, last: datetime) -> int | None:
    """Rule ATT-7: the leaver's leave a missing substitute leaves uncovered (it is flagged)."""
    if s.leave_id is not None:
        return s.leave_id
    for a in facts.absences:
        if a.staff_id == s.for_staff and a.start < last and a.end > first and a.id is not None:
            return a.id
    return None


def _empty_flags(facts: DayFacts, spans: Mapping[str, tuple[datetime, datetime]]) -> list[Flag]:
    out = []
    for window, (first, last) in spans.items():
        seat = next(s.seat for s in facts.seats if s.window == window)
        out.append(Flag(FlagKind.WINDOW_EMPTY, seat, window, None, first, last, "window empty"))
    return out


def _face_flags(facts: DayFacts, ledger: LedgerDay) -> list[Flag]:
    """Rule RATE-2: a face at a window's terminal that holds none of the window's seats is
    flagged at the terminal's seat, naming whom the ledger has there; a holder's own face
    there is noted in `ledger.holder_seen` (the mismatch before it is over)."""
    out = []
    for face in sorted(facts.faces, key=lambda f: f.at):
        seats = [
            s.seat
            for s in facts.seats
            if s.window == face.window and (face.seat is None or s.seat == face.seat)
        ]
        if not seats:
            continue
        holders = {h.staff_id for s in seats if (h := ledger.holder_at(s, face.at)) is not None}
        at_seat = face.seat or seats[0]
        if face.staff_id in holders:
            ledger.holder_seen[at_seat] = face.at
            continue
        shown = ", ".join(sorted(x for x in holders if x)) or None
        out.append(
            Flag(
                FlagKind.FACE_MISMATCH,
                at_seat,
                face.window,
                face.staff_id,
                face.at,
                face.at,
                f"{face.staff_id} seen at the seat; the ledger has {shown or '-'}",
                expected=shown,
            )
        )
    return out


def expected_staff(seats: Sequence[SeatRoster], stand_ins: Sequence[StandIn]) -> set[str]:
    """Who is expected at work on the day: rostered A and B holders and stand-ins (DUTY-1)."""
    people = {x for s in seats for x in (s.a, s.b) if x}
    people.update(s.staff_id for s in stand_ins)
    return people
