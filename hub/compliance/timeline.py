"""Timeline helpers shared by the compliance rules (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from hub.compliance.model import CompliancePolicy, Mark, SeatDay
from hub.compliance.schedule import Interval


def in_hours(iv: Interval, working: Sequence[Interval]) -> float:
    """Seconds of `iv` inside the working intervals."""
    return sum(o.seconds for w in working if (o := iv.overlap(w)) is not None)


def span(marks: Sequence[Mark], until: datetime) -> list[tuple[datetime, datetime, bool, bool]]:
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


def evidence(
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
