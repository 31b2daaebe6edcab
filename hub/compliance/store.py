"""Compliance storage: ingested events to marks, window-day inputs, and saving a DayResult."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlmodel import Session, col, select

from hub.compliance.engine import (
    Cover,
    DayResult,
    Demand,
    Mark,
    Notice,
    SeatDay,
    Violation,
    WindowDay,
)
from hub.compliance.tables import (
    AwayRow,
    ComplianceMark,
    CoverRow,
    HandoverRow,
    NoticeRow,
    SeatAssignment,
    SeatDayRow,
    ViolationRow,
    utc,
)
from hub.dbtypes import aware
from models.envelope import Envelope
from models.events import (
    AwaySign,
    CallAction,
    CallRequest,
    DeviceFault,
    EventType,
    Presence,
    TicketIssued,
)
from models.layout import Hall

logger = logging.getLogger(__name__)

CALLS = frozenset({CallAction.NEXT, CallAction.CALL, CallAction.RECALL})
"""Keypad actions that call a citizen to the window (demand for rule POST-4)."""


def seat_windows(hall: Hall) -> dict[str, str]:
    """seat id -> window id."""
    return {seat: w.id for w in hall.windows for seat in w.seats}


def marks_from_envelope(env: Envelope, hall: Hall) -> list[ComplianceMark]:
    """The compliance marks one ingested event gives (none for unrelated events)."""
    tz = ZoneInfo(hall.timezone)
    day = env.ts.astimezone(tz).date()
    seats = seat_windows(hall)
    body = env.body

    def mark(
        subject: str,
        window: str,
        kind: str,
        on: bool = True,
        seat: str | None = None,
        ticket: str | None = None,
    ) -> ComplianceMark:
        return ComplianceMark(
            event_id=env.id,
            subject=subject,
            hall=hall.id,
            window=window,
            seat=seat,
            day=day,
            kind=kind,
            on=on,
            at=utc(env.ts),
            ticket=ticket,
            device=env.device,
        )

    if isinstance(body, AwaySign) and body.seat in seats:
        return [
            mark(
                body.seat,
                seats[body.seat],
                "sign",
                env.type is EventType.AWAY_SIGN_PLACED,
                body.seat,
            )
        ]
    if isinstance(body, Presence) and body.seat in seats:
        return [mark(body.seat, seats[body.seat], "presence", body.present, body.seat)]
    if isinstance(body, DeviceFault) and body.code.startswith("radar_"):
        try:
            seat = hall.device(env.device).seat
        except KeyError:
            seat = None
        if seat in seats and seat is not None:  # rule DEV-4: a fault, never an absence
            return [mark(seat, seats[seat], "fault", body.active, seat)]
        return []
    if isinstance(body, CallRequest):
        out = [mark(body.window, body.window, "service", ticket=body.ticket)]
        if body.action in CALLS:
            out.append(mark(f"{body.window}#d", body.window, "demand", ticket=body.ticket))
        if body.action is CallAction.TRANSFER and body.target_window:
            out.append(mark(body.target_window, body.target_window, "demand", ticket=body.ticket))
        return out
    if isinstance(body, TicketIssued):  # a citizen must come to the one window serving it
        serving = [w.id for w in hall.windows if body.service in w.services]
        if len(serving) == 1:
            return [mark(serving[0], serving[0], "demand", ticket=body.ticket)]
    return []


def add_marks(session: Session, rows: Sequence[ComplianceMark]) -> set[tuple[str, str, date]]:
    """Insert marks not stored yet; the (hall, window, day) they touch."""
    if not rows:
        return set()
    ids = {r.event_id for r in rows}
    existing = {
        (e, s)
        for e, s in session.exec(
            select(ComplianceMark.event_id, ComplianceMark.subject).where(
                col(ComplianceMark.event_id).in_(ids)
            )
        )
    }
    touched: set[tuple[str, str, date]] = set()
    for r in rows:
        if (r.event_id, r.subject) in existing:
            continue
        existing.add((r.event_id, r.subject))
        session.add(r)
        touched.add((r.hall, r.window, r.day))
    return touched


@dataclass(frozen=True)
class WindowInputs:
    """Everything the engine needs for one window-day."""

    day: WindowDay
    demands: list[Demand]
    covers: list[Cover]
    ledger: Any = None  # hub.duty.ledger.LedgerDay: who held each seat when


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and end of a hall-local day."""
    start = datetime.combine(day, time(0), tz)
    return start, start + timedelta(days=1)


def load_inputs(
    session: Session, hall: Hall, window_id: str, day: date, close: datetime | None
) -> WindowInputs:
    """Marks, assignments, covers and demand of one window-day."""
    window = next(w for w in hall.windows if w.id == window_id)
    rows = session.exec(
        select(ComplianceMark)
        .where(
            ComplianceMark.hall == hall.id,
            ComplianceMark.window == window_id,
            ComplianceMark.day == day,
        )
        .order_by(col(ComplianceMark.at), col(ComplianceMark.event_id))
    ).all()
    assigned = {
        a.seat: a
        for a in session.exec(
            select(SeatAssignment).where(
                SeatAssignment.hall == hall.id, col(SeatAssignment.seat).in_(window.seats)
            )
        ).all()
    }
    from hub.duty.ledger_store import hall_duty, ledger_day

    ledger = ledger_day(session.connection(), hall_duty(hall), day)  # who held each seat
    seats = []
    for i, seat in enumerate(window.seats):
        a = assigned.get(seat)
        marks = [
            Mark(aware(r.at), r.kind, r.on)
            for r in rows
            if r.seat == seat and r.kind in ("sign", "presence", "fault")
        ]
        seats.append(
            SeatDay(
                seat, ledger.main_holder(seat), a.role if a else ("A" if i == 0 else "B"), marks
            )
        )
    demands = [
        Demand(window_id, aware(r.at), "called", r.ticket) for r in rows if r.kind == "demand"
    ]
    extended = None
    if close is not None:  # rule ATT-11: keypad use after closing is extended service
        served = [aware(r.at) for r in rows if r.kind == "service"]
        late = [t for t in served if t is not None and t > close]
        extended = max(late) if late else None
    start, end = day_bounds(day, ZoneInfo(hall.timezone))
    cover_rows = session.exec(
        select(CoverRow).where(
            CoverRow.hall == hall.id,
            col(CoverRow.seat).in_(window.seats),
            col(CoverRow.end) >= utc(start),
            col(CoverRow.start) < utc(end),
        )
    ).all()
    covers = [cover_from_row(c) for c in cover_rows if c.status != "refused"]
    return WindowInputs(WindowDay(window_id, seats, extended), demands, covers, ledger)


def with_holders(result: DayResult, ledger: Any) -> DayResult:
    """Each away period, violation and notice goes to whoever held the seat when it began (the
    post ledger: roster, B takeover, substitute, cover), not to the seat's standing holder."""
    if ledger is None:
        return result

    def who(seat: str, at: datetime, default: str | None) -> str | None:
        return ledger.staff_at(seat, at) or default

    return DayResult(
        away=[replace(p, staff_id=who(p.seat, p.start, p.staff_id)) for p in result.away],
        violations=[
            replace(v, staff_id=who(v.seat, v.start, v.staff_id)) for v in result.violations
        ],
        notices=[
            replace(n, staff_id=who(n.seat, n.away_start, n.staff_id)) for n in result.notices
        ],
        handovers=result.handovers,
        on_post_s=result.on_post_s,
        extended_s=result.extended_s,
    )


def cover_from_row(c: CoverRow) -> Cover:
    """The engine's view of a stored cover."""
    return Cover(
        seat=c.seat,
        start=aware(c.start),
        end=aware(c.end),
        staff_id=c.staff_id,
        cover_staff_id=c.cover_staff_id,
        approved_at=aware(c.approved_at) if c.status == "approved" else None,
        approver_role=c.approver_role or "duty_chief",
        id=c.id,
    )


def evidence_json(marks: Iterable[Mark]) -> list[dict[str, Any]]:
    """Evidence marks as JSON-able dicts."""
    return [{"at": m.at.isoformat(), "kind": m.kind, "on": m.on} for m in marks]


def _key(rule: str, seat: str, start: datetime) -> tuple[str, str, str]:
    return rule, seat, aware(start).isoformat()


def save_result(
    session: Session, hall: str, window_day: WindowDay, day: date, result: DayResult, now: datetime
) -> tuple[list[Violation], list[Notice]]:
    """Replace the window-day's derived rows; return the violations and notices that are new."""
    window = window_day.window
    staff = {s.seat: s.staff_id for s in window_day.seats}
    session.execute(
        delete(AwayRow).where(
            col(AwayRow.hall) == hall, col(AwayRow.window) == window, col(AwayRow.day) == day
        )
    )
    session.execute(
        delete(HandoverRow).where(
            col(HandoverRow.hall) == hall,
            col(HandoverRow.window) == window,
            col(HandoverRow.day) == day,
        )
    )
    for p in result.away:
        session.add(
            AwayRow(
                hall=hall,
                window=window,
                seat=p.seat,
                staff_id=p.staff_id,
                day=day,
                start=utc(p.start),
                end=p.end and utc(p.end),
                in_hours_s=p.in_hours_s,
                unsigned_s=p.unsigned_s,
                cover_id=p.cover.id if p.cover else None,
            )
        )
    for h in result.handovers:
        session.add(
            HandoverRow(
                hall=hall,
                window=window,
                day=day,
                from_seat=h.from_seat,
                to_seat=h.to_seat,
                from_staff=h.from_staff,
                to_staff=h.to_staff,
                at=utc(h.at),
            )
        )
    for seat, on_post in result.on_post_s.items():
        periods = [p for p in result.away if p.seat == seat and not p.covered]
        seat_row = session.get(SeatDayRow, (hall, seat, day)) or SeatDayRow(
            hall=hall, seat=seat, day=day, window=window
        )
        seat_row.staff_id = staff.get(seat)
        seat_row.on_post_s, seat_row.extended_s = on_post, result.extended_s.get(seat, 0.0)
        seat_row.away_s, seat_row.away_count = sum(p.in_hours_s for p in periods), len(periods)
        session.add(seat_row)
    old = {
        _key(v.rule, v.seat, v.start): v
        for v in session.exec(
            select(ViolationRow).where(
                ViolationRow.hall == hall, ViolationRow.window == window, ViolationRow.day == day
            )
        ).all()
    }
    new: list[Violation] = []
    seen = set()
    for v in result.violations:
        key = _key(v.rule, v.seat, v.start)
        seen.add(key)
        row = old.get(key)
        if row is None:
            row = ViolationRow(
                hall=hall,
                window=window,
                seat=v.seat,
                day=day,
                rule=v.rule,
                start=utc(v.start),
                first_seen_at=utc(now),
            )
            new.append(v)
        row.staff_id, row.end, row.detail = v.staff_id, v.end and utc(v.end), v.detail
        row.evidence = evidence_json(v.evidence)
        session.add(row)
    for key, row in old.items():
        if key not in seen:
            session.delete(row)
    fresh = []
    for n in result.notices:
        exists = session.exec(
            select(NoticeRow).where(
                NoticeRow.hall == hall,
                NoticeRow.seat == n.seat,
                NoticeRow.away_start == utc(n.away_start),
            )
        ).first()
        if exists is None:
            fresh.append(n)
    return new, fresh


def open_window_days(session: Session, hall: str) -> set[tuple[str, date]]:
    """Window-days that still have an away period in progress (for the live tick)."""
    rows = session.exec(
        select(col(AwayRow.window), col(AwayRow.day)).where(
            AwayRow.hall == hall, col(AwayRow.end).is_(None)
        )
    ).all()
    return {(w, d) for w, d in rows}
