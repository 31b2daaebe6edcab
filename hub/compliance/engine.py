"""The on-post compliance engine (pure): away periods from sign and presence, and their verdicts.

Input is one window-day: each seat's timeline of marks (away sign on/off, presence on/off,
radar fault on/off), who holds the seat, the day's working intervals, approved covers and
queue demand at the window. Output: away periods, violations (each with its evidence and rule
id), notices to send (POST-3/POST-4) and A/B handovers (POST-7). The same facts always give
the same result. No I/O; all thresholds are CompliancePolicy settings.

An away period is a stretch during which a seat that was already occupied that day has no
one present by the radar (a radar fault counts as "unknown", never as away). A seat with no
presence data at all that day falls back to the sign: away while the sign is on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hub.compliance.schedule import Interval


@dataclass(frozen=True)
class CompliancePolicy:
    """Thresholds of the on-post rules (defaults: the digest in RULES.md)."""

    short_leave_max_s: float = 600  # rule POST-1: at most 10 minutes
    long_leave_after_s: float = 1800  # longer than this is a long leave (rule POST-6)
    sign_grace_s: float = 60  # rule POST-2: away without the sign longer than this
    both_away_grace_s: float = 60  # rule POST-5: two of one window away longer than this
    cover_slack_s: float = 300  # a cover may start/end this much off the away period
    duty_chief_max_s: float = 7200  # rule POST-6: the duty chief signs up to 2 hours
    evidence_margin_s: float = 120  # evidence slice reaches this far around the period


@dataclass(frozen=True, slots=True)
class Mark:
    """One point on a seat's timeline: kind is sign, presence or fault; on is its new value."""

    at: datetime
    kind: str
    on: bool


@dataclass(frozen=True)
class SeatDay:
    """One seat's facts for one day."""

    seat: str
    staff_id: str | None = None
    role: str = "A"
    marks: Sequence[Mark] = ()


@dataclass(frozen=True)
class WindowDay:
    """One window's seats for one day; `extended_until` is the end of extended service."""

    window: str
    seats: Sequence[SeatDay]
    extended_until: datetime | None = None


@dataclass(frozen=True)
class Cover:
    """A temporary leave with someone covering (顶岗), and its approval (rule POST-6)."""

    seat: str
    start: datetime
    end: datetime
    staff_id: str | None = None
    cover_staff_id: str | None = None
    approved_at: datetime | None = None
    approver_role: str = "duty_chief"
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Demand:
    """A citizen waiting for, or called to, a window (queue facts)."""

    window: str
    at: datetime
    kind: str = "called"
    ticket: str | None = None


@dataclass(frozen=True)
class AwayPeriod:
    """A seat without its staff member; `end` None while still away."""

    seat: str
    window: str
    staff_id: str | None
    start: datetime
    end: datetime | None
    in_hours_s: float
    unsigned_s: float
    cover: Cover | None = None

    @property
    def covered(self) -> bool:
        """A valid approved cover is on post."""
        return self.cover is not None


@dataclass(frozen=True)
class Violation:
    """One broken rule, with the evidence that shows it."""

    rule: str
    seat: str
    window: str
    staff_id: str | None
    start: datetime
    end: datetime | None
    detail: str
    evidence: tuple[Mark, ...] = ()


@dataclass(frozen=True)
class Notice:
    """Tell the neighbour window, the operator and the absent staff member (POST-3, POST-4)."""

    rule: str
    window: str
    seat: str
    staff_id: str | None
    at: datetime
    away_start: datetime
    ticket: str | None


@dataclass(frozen=True)
class Handover:
    """An A/B post handover (rule POST-7)."""

    window: str
    from_seat: str
    to_seat: str
    from_staff: str | None
    to_staff: str | None
    at: datetime


@dataclass
class DayResult:
    """Everything one window-day produced."""

    away: list[AwayPeriod] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    handovers: list[Handover] = field(default_factory=list)
    on_post_s: dict[str, float] = field(default_factory=dict)
    extended_s: dict[str, float] = field(default_factory=dict)


def _in_hours(iv: Interval, working: Sequence[Interval]) -> float:
    return sum(o.seconds for w in working if (o := iv.overlap(w)) is not None)


def _span(marks: Sequence[Mark], until: datetime) -> list[tuple[datetime, datetime, bool, bool]]:
    """Cut a day into pieces (start, end, away, sign_on)."""
    has_presence = any(m.kind == "presence" for m in marks)
    present: bool | None = None
    seen = False
    sign = fault = False
    pieces: list[tuple[datetime, datetime, bool, bool]] = []
    ordered = sorted(marks, key=lambda m: m.at)
    for i, m in enumerate(ordered):
        if m.kind == "presence":
            present = m.on
            seen = seen or m.on
        elif m.kind == "sign":
            sign = m.on
        elif m.kind == "fault":
            fault = m.on
        nxt = ordered[i + 1].at if i + 1 < len(ordered) else until
        nxt = min(nxt, until)
        away = (seen and present is False and not fault) if has_presence else sign
        if m.at < nxt:
            pieces.append((m.at, nxt, away, sign))
    return pieces


def away_periods(
    seat: SeatDay, window: str, working: Sequence[Interval], until: datetime, ongoing_at: datetime
) -> list[AwayPeriod]:
    """The seat's away periods that touch working hours (`until` caps the day)."""
    out: list[AwayPeriod] = []
    run: list[tuple[datetime, datetime, bool]] = []

    def close(end_open: bool) -> None:
        if not run:
            return
        start, end = run[0][0], run[-1][1]
        in_hours = _in_hours(Interval(start, end), working)
        if in_hours > 0:
            unsigned = sum(_in_hours(Interval(a, b), working) for a, b, s in run if not s)
            out.append(
                AwayPeriod(
                    seat.seat,
                    window,
                    seat.staff_id,
                    start,
                    None if end_open else end,
                    in_hours,
                    unsigned,
                )
            )
        run.clear()

    for a, b, away, sign in _span(seat.marks, until):
        if away:
            run.append((a, b, sign))
        else:
            close(False)
    close(bool(run) and run[-1][1] >= ongoing_at)
    return out


def valid_cover(
    period: AwayPeriod, covers: Sequence[Cover], policy: CompliancePolicy, until: datetime
) -> tuple[Cover | None, str]:
    """The approved cover that holds this period, or None and why not (rule POST-6)."""
    slack = timedelta(seconds=policy.cover_slack_s)
    end = period.end or until
    reasons = []
    for c in covers:
        if c.seat != period.seat or c.end < period.start or c.start > end:
            continue
        if c.approved_at is None:
            reasons.append("cover not approved")
        elif c.approved_at > period.start:
            reasons.append("cover approved only after the leave started")
        elif c.approver_role == "duty_chief" and (
            (c.end - c.start).total_seconds() > policy.duty_chief_max_s
        ):
            limit = policy.duty_chief_max_s / 60
            reasons.append(f"the duty chief may sign at most {limit:.0f} min")
        elif c.start - slack > period.start or c.end + slack < end:
            reasons.append("the leave ran outside the approved cover")
        else:
            return c, ""
    return None, "; ".join(reasons) or "no approved cover"


def _evidence(
    seats: Sequence[SeatDay],
    names: set[str],
    start: datetime,
    end: datetime | None,
    policy: CompliancePolicy,
) -> tuple[Mark, ...]:
    margin = timedelta(seconds=policy.evidence_margin_s)
    lo = start - margin
    hi = end + margin if end is not None else None
    marks = [
        m
        for s in seats
        if s.seat in names
        for m in s.marks
        if m.at >= lo and (hi is None or m.at <= hi)
    ]
    return tuple(sorted(marks, key=lambda m: m.at))


def evaluate(
    day: WindowDay,
    *,
    working: Sequence[Interval],
    now: datetime,
    covers: Sequence[Cover] = (),
    demands: Sequence[Demand] = (),
    policy: CompliancePolicy | None = None,
) -> DayResult:
    """Judge one window-day (rules POST-1..POST-7, ATT-11); `now` ends ongoing periods."""
    policy = policy or CompliancePolicy()
    result = DayResult()
    last_work = max((w.end for w in working), default=now)
    until = min(now, max(last_work, day.extended_until or last_work))
    by_seat: dict[str, list[AwayPeriod]] = {}
    for seat in day.seats:
        periods = []
        for p in away_periods(seat, day.window, working, until, now):
            cover, why = valid_cover(p, covers, policy, until)
            p = AwayPeriod(
                p.seat, p.window, p.staff_id, p.start, p.end, p.in_hours_s, p.unsigned_s, cover
            )
            periods.append(p)
            if cover is None:
                _judge_leave(p, why, day.seats, policy, result)
        by_seat[seat.seat] = periods
        result.away.extend(periods)
        result.on_post_s[seat.seat], result.extended_s[seat.seat] = _on_post(
            seat, periods, working, until, day.extended_until
        )
    _two_away(day, by_seat, until, policy, result)  # rule POST-5
    _one_person(day, by_seat, demands, result)  # rules POST-3, POST-4
    _handovers(day, by_seat, working, result)  # rule POST-7
    return result


def _judge_leave(
    p: AwayPeriod, why: str, seats: Sequence[SeatDay], policy: CompliancePolicy, result: DayResult
) -> None:
    evidence = _evidence(seats, {p.seat}, p.start, p.end, policy)
    minutes = p.in_hours_s / 60
    if p.unsigned_s > policy.sign_grace_s:  # rule POST-2
        result.violations.append(
            Violation(
                "POST-2",
                p.seat,
                p.window,
                p.staff_id,
                p.start,
                p.end,
                f"away {p.unsigned_s / 60:.1f} min without the away sign",
                evidence,
            )
        )
    if p.in_hours_s > policy.long_leave_after_s:  # rule POST-6
        result.violations.append(
            Violation(
                "POST-6",
                p.seat,
                p.window,
                p.staff_id,
                p.start,
                p.end,
                f"away {minutes:.0f} min: a long leave needs an approved cover ({why})",
                evidence,
            )
        )
    elif p.in_hours_s > policy.short_leave_max_s:  # rule POST-1
        result.violations.append(
            Violation(
                "POST-1",
                p.seat,
                p.window,
                p.staff_id,
                p.start,
                p.end,
                f"short leave of {minutes:.1f} min, over {policy.short_leave_max_s / 60:.0f} min",
                evidence,
            )
        )


def _on_post(
    seat: SeatDay,
    periods: Sequence[AwayPeriod],
    working: Sequence[Interval],
    until: datetime,
    extended_until: datetime | None,
) -> tuple[float, float]:
    """In-hours time on post since first arrival, and time on post in extended service."""
    first = next(
        (m.at for m in sorted(seat.marks, key=lambda m: m.at) if m.kind == "presence" and m.on),
        None,
    )
    if first is None:
        return 0.0, 0.0
    away = sum(p.in_hours_s for p in periods if not p.covered)
    on_post = max(0.0, _in_hours(Interval(first, max(first, until)), working) - away)
    extended = 0.0
    if extended_until is not None and working:  # rule ATT-11: extended service is on post
        close = max(w.end for w in working)
        if extended_until > close:
            ext = [Interval(close, extended_until)]
            span = _in_hours(Interval(first, max(first, until)), ext)
            gone = sum(
                _in_hours(Interval(a, b), ext) for a, b, away, _ in _span(seat.marks, until) if away
            )
            extended = max(0.0, span - gone)
    return on_post, extended


def _two_away(
    day: WindowDay,
    by_seat: dict[str, list[AwayPeriod]],
    until: datetime,
    policy: CompliancePolicy,
    result: DayResult,
) -> None:
    seats = list(by_seat)
    for i, a in enumerate(seats):
        for b in seats[i + 1 :]:
            for pa in by_seat[a]:
                for pb in by_seat[b]:
                    if pa.covered or pb.covered:
                        continue
                    both = Interval(pa.start, pa.end or until).overlap(
                        Interval(pb.start, pb.end or until)
                    )
                    if both is None or both.seconds <= policy.both_away_grace_s:
                        continue
                    ongoing = pa.end is None and pb.end is None
                    evidence = _evidence(day.seats, {a, b}, both.start, both.end, policy)
                    for p, other in ((pa, pb), (pb, pa)):
                        result.violations.append(
                            Violation(
                                "POST-5",
                                p.seat,
                                day.window,
                                p.staff_id,
                                both.start,
                                None if ongoing else both.end,
                                f"seats {a} and {b} of window {day.window} away at the same time "
                                f"({both.seconds / 60:.1f} min; "
                                f"other: {other.staff_id or other.seat})",
                                evidence,
                            )
                        )


def _one_person(
    day: WindowDay,
    by_seat: dict[str, list[AwayPeriod]],
    demands: Sequence[Demand],
    result: DayResult,
) -> None:
    staffed = [s for s in day.seats if s.staff_id] or list(day.seats)
    if len(staffed) != 1:
        return
    seat = staffed[0]
    for p in by_seat.get(seat.seat, []):
        if p.covered:
            continue
        for d in sorted(demands, key=lambda d: d.at):
            if d.window == day.window and p.start <= d.at and (p.end is None or d.at < p.end):
                result.notices.append(
                    Notice("POST-4", day.window, seat.seat, seat.staff_id, d.at, p.start, d.ticket)
                )
                break  # one notice per away period


def _handovers(
    day: WindowDay,
    by_seat: dict[str, list[AwayPeriod]],
    working: Sequence[Interval],
    result: DayResult,
) -> None:
    a_seats = [s for s in day.seats if s.role == "A"]
    b_seats = [s for s in day.seats if s.role == "B"]
    if not a_seats or not b_seats:
        return
    a, b = a_seats[0], b_seats[0]

    arrived = min((m.at for m in b.marks if m.kind == "presence" and m.on), default=None)

    def b_away_at(t: datetime) -> bool:
        """B cannot take over: not arrived yet, or away too."""
        if arrived is None or arrived > t:
            return True
        return any(p.start <= t and (p.end is None or t < p.end) for p in by_seat[b.seat])

    def in_hours(t: datetime) -> bool:
        return any(w.start <= t < w.end for w in working)

    for p in by_seat[a.seat]:
        if in_hours(p.start) and not b_away_at(p.start):
            result.handovers.append(
                Handover(day.window, a.seat, b.seat, a.staff_id, b.staff_id, p.start)
            )
        if p.end is not None and in_hours(p.end) and not b_away_at(p.end):
            result.handovers.append(
                Handover(day.window, b.seat, a.seat, b.staff_id, a.staff_id, p.end)
            )
