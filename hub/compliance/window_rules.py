"""Window-level on-post rules (pure): two away at once (POST-5), one-person window notices
(POST-3, POST-4) and A/B handovers (POST-7)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hub.compliance.model import (
    AwayPeriod,
    CompliancePolicy,
    DayResult,
    Demand,
    Handover,
    Notice,
    Violation,
    WindowDay,
)
from hub.compliance.schedule import Interval
from hub.compliance.timeline import evidence


def two_away(
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
                    slice_ = evidence(day.seats, {a, b}, both.start, both.end, policy)
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
                                slice_,
                                (("minutes", round(both.seconds / 60, 1)), ("other", other.seat)),
                            )
                        )


def one_person(
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


def handovers(
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
