"""Complaints counted for the monthly assessment (DUTY-5, DUTY-6): one small function the
roster area's assessment calls, per staff member and per window.

A complaint counts in the month it was received; against a staff member or window only when
verification found it substantiated or partly so. Open complaints are counted apart, and
those past their answer deadline too (the hall's own failure, not the staff member's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hub.complaints.store import COMPLAINT, month_range
from hub.dbtypes import aware


@dataclass(slots=True)
class ComplaintCounts:
    """One staff member's or window's complaints of a month."""

    received: int = 0
    substantiated: int = 0
    partly: int = 0
    unfounded: int = 0
    open: int = 0
    overdue: int = 0
    refs: list[str] = field(default_factory=list)

    @property
    def against(self) -> int:
        """Complaints that count against them: substantiated or partly (DUTY-5)."""
        return self.substantiated + self.partly


@dataclass(slots=True)
class MonthComplaints:
    """A hall's complaints of one month, by staff member and by window."""

    month: str
    by_staff: dict[str, ComplaintCounts] = field(default_factory=dict)
    by_window: dict[str, ComplaintCounts] = field(default_factory=dict)
    unattributed: ComplaintCounts = field(default_factory=ComplaintCounts)


def complaint_counts(
    engine: Engine | Connection,
    hall: str,
    month: str,
    *,
    tz: str = "Asia/Shanghai",
    now: datetime | None = None,
) -> MonthComplaints:
    """The hall's complaints received in `month` (YYYY-MM, hall time), counted per staff member
    and per window (rule DUTY-6, for the DUTY-5 assessment); on a Connection, in its
    transaction (the assessment reads inside one)."""
    zone = ZoneInfo(tz)
    first, last = month_range(month)
    start = datetime.combine(first, time(0), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC)
    now = now or datetime.now(UTC)
    q = sa.select(
        COMPLAINT.c.ref,
        COMPLAINT.c.staff_id,
        COMPLAINT.c.window,
        COMPLAINT.c.finding,
        COMPLAINT.c.state,
        COMPLAINT.c.answer_due,
    ).where(
        COMPLAINT.c.hall == hall, COMPLAINT.c.received_at >= start, COMPLAINT.c.received_at < end
    )
    out = MonthComplaints(month)
    if isinstance(engine, Connection):
        rows = engine.execute(q.order_by(COMPLAINT.c.id)).all()
    else:
        with engine.connect() as conn:
            rows = conn.execute(q.order_by(COMPLAINT.c.id)).all()
    for r in rows:
        targets = []
        if r.staff_id:
            targets.append(out.by_staff.setdefault(r.staff_id, ComplaintCounts()))
        if r.window:
            targets.append(out.by_window.setdefault(r.window, ComplaintCounts()))
        if not targets:
            targets.append(out.unattributed)
        answered = r.state in ("answered", "closed")
        late = not answered and (aware(r.answer_due) or now) < now
        for c in targets:
            c.received += 1
            c.refs.append(r.ref)
            if r.finding in ("substantiated", "partly", "unfounded"):
                setattr(c, r.finding, getattr(c, r.finding) + 1)
            c.open += not answered
            c.overdue += late
    return out
