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

from collections.abc import Sequence
from datetime import datetime, timedelta

from hub.compliance.model import (
    AwayPeriod,
    CompliancePolicy,
    Cover,
    DayResult,
    Demand,
    Handover,
    Mark,
    Notice,
    SeatDay,
    Violation,
    WindowDay,
)
from hub.compliance.schedule import Interval
from hub.compliance.timeline import evidence, in_hours, span
from hub.compliance.window_rules import handovers, one_person, two_away

__all__ = [
    "AwayPeriod",
    "CompliancePolicy",
    "Cover",
    "DayResult",
    "Demand",
    "Handover",
    "Mark",
    "Notice",
    "SeatDay",
    "Violation",
    "WindowDay",
    "away_periods",
    "evaluate",
    "valid_cover",
]


def away_periods(
    seat: SeatDay, window: str, working: Sequence[Interval], until: datetime, ongoing_at: datetime
) -> list[AwayPeriod]:
    """The seat's away periods that start in working hours (`until` caps the day).

    A period that starts outside working hours (gone for lunch, and back late) is not an away
    period: coming late to post is attendance's matter (rules ATT-2, ATT-3).
    """
    out: list[AwayPeriod] = []
    run: list[tuple[datetime, datetime, bool]] = []

    def close(end_open: bool) -> None:
        if not run:
            return
        start, end = run[0][0], run[-1][1]
        seconds_in = in_hours(Interval(start, end), working)
        starts_in_hours = any(w.start <= start < w.end for w in working)
        if seconds_in > 0 and starts_in_hours:
            unsigned = sum(in_hours(Interval(a, b), working) for a, b, s in run if not s)
            out.append(
                AwayPeriod(
                    seat.seat,
                    window,
                    seat.staff_id,
                    start,
                    None if end_open else end,
                    seconds_in,
                    unsigned,
                )
            )
        run.clear()

    for a, b, away, sign in span(seat.marks, until):
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


COVER_REASONS = {
    "cover not approved": "not_approved",
    "cover approved only after the leave started": "approved_late",
    "the leave ran outside the approved cover": "outside",
    "no approved cover": "none",
}
"""Why no cover held a long leave (rule POST-6), as the catalogue's `cover.<code>`."""


def why_key(why: str) -> str:
    """The first reason of `valid_cover` as a code (`none`, `not_approved`, `duty_chief_limit`)."""
    first = why.split("; ")[0]
    if first.startswith("the duty chief may sign"):
        return "duty_chief_limit"
    return COVER_REASONS.get(first, "none")


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
    two_away(day, by_seat, until, policy, result)  # rule POST-5
    one_person(day, by_seat, demands, result)  # rules POST-3, POST-4
    handovers(day, by_seat, working, result)  # rule POST-7
    return result


def _judge_leave(
    p: AwayPeriod, why: str, seats: Sequence[SeatDay], policy: CompliancePolicy, result: DayResult
) -> None:
    marks = evidence(seats, {p.seat}, p.start, p.end, policy)
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
                marks,
                (("minutes", round(p.unsigned_s / 60, 1)),),
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
                marks,
                (("minutes", round(minutes)), ("cover", why_key(why))),
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
                marks,
                (("minutes", round(minutes, 1)), ("limit", round(policy.short_leave_max_s / 60))),
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
    on_post = max(0.0, in_hours(Interval(first, max(first, until)), working) - away)
    extended = 0.0
    if extended_until is not None and working:  # rule ATT-11: extended service is on post
        close = max(w.end for w in working)
        if extended_until > close:
            ext = [Interval(close, extended_until)]
            served = in_hours(Interval(first, max(first, until)), ext)
            gone = sum(
                in_hours(Interval(a, b), ext) for a, b, out, _ in span(seat.marks, until) if out
            )
            extended = max(0.0, served - gone)
    return on_post, extended
