"""CompliancePresence: ingest's projector for on-post compliance (rules POST-1..POST-7, ATT-11).

Each committed batch's away-sign, presence, radar-fault, keypad and ticket events become marks
(idempotent by event id); every window-day they touch is recomputed by the pure engine and its
derived rows replaced. A violation or notice seen for the first time raises a live alert; a
POST-4 notice also goes, as a DisplayText, to the neighbour window's counter display.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from hub.commands import CommandSender
from hub.compliance.engine import CompliancePolicy, DayResult, Notice, Violation, evaluate
from hub.compliance.schedule import WorkSchedule, schedule_from_policy
from hub.compliance.store import (
    add_marks,
    load_inputs,
    marks_from_envelope,
    open_window_days,
    save_result,
    with_holders,
)
from hub.compliance.tables import AlertRow, NoticeRow, utc
from hub.db import session_scope
from hub.fleet.alerts import raise_alert
from hub.ingest.hooks import IngestBatch
from models.commands import DisplayText
from models.devices import counter_display
from models.envelope import Envelope
from models.events import EventType
from models.layout import Hall

logger = logging.getLogger(__name__)
RETRIES = 3
"""Attempts at judging a window-day when a concurrent writer got there first."""


def utc_now() -> datetime:
    """The hub's clock (aware UTC)."""
    return datetime.now(UTC)


def hall_schedule(hall: Hall) -> WorkSchedule:
    """Working hours from the hall's attendance policy, or the wenshang-2021 defaults."""
    try:
        from hub.attendance.policy import load_policy

        return schedule_from_policy(load_policy(hall.attendance_policy, timezone=hall.timezone))
    except Exception as exc:  # attendance not built, or its policy unreadable: say so
        logger.warning("hall %s: using default working hours (%s)", hall.id, exc)
        return WorkSchedule(timezone=hall.timezone)


class CompliancePresence:
    """The compliance projector (hub.ingest.hooks.Projector)."""

    name = "compliance"
    facts = frozenset(
        {
            EventType.AWAY_SIGN_PLACED,
            EventType.AWAY_SIGN_REMOVED,
            EventType.PRESENCE,
            EventType.DEVICE_FAULT,
            EventType.CALL_REQUEST,
            EventType.TICKET_ISSUED,
        }
    )
    """Durable lane (hub.ingest.lane): every stored mark-giving fact reaches compliance."""

    @staticmethod
    def fact_key(env: Envelope) -> str:
        """A window-day is judged from all its marks: a failing fact holds back its device only."""
        return f"{env.hall}/{env.device}"

    def __init__(
        self,
        halls: Sequence[Hall],
        sender: CommandSender | None = None,
        *,
        policy: CompliancePolicy | None = None,
        schedules: dict[str, WorkSchedule] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.halls = {h.id: h for h in halls}
        self.sender = sender
        self.policy = policy or CompliancePolicy()
        self.schedules = dict(schedules or {})
        for h in halls:
            self.schedules.setdefault(h.id, hall_schedule(h))
        self.clock = clock

    def project(self, engine: Engine, batch: IngestBatch) -> None:
        """Store the batch's marks and recompute every window-day they touch."""
        rows = []
        for env in batch.events:
            hall = self.halls.get(env.hall)
            if hall is not None:
                rows.extend(marks_from_envelope(env, hall))
        if not rows:
            return
        with session_scope(engine) as session:
            add_marks(session, rows)
        # every window-day of the batch, not only those with new marks: a batch applied again
        # after a crash between the marks' commit and the judging is judged then
        touched = {(r.hall, r.window, r.day) for r in rows}
        for hall_id, window, day in sorted(touched):
            self.recompute(engine, hall_id, window, day)

    def tick(self, engine: Engine) -> int:
        """Re-judge window-days with a leave in progress (live POST-1/2/5/6 alerts)."""
        n = 0
        for hall_id in self.halls:
            with Session(engine) as session:
                days = open_window_days(session, hall_id)
            for window, day in sorted(days):
                self.recompute(engine, hall_id, window, day)
                n += 1
        return n

    def recompute(self, engine: Engine, hall_id: str, window: str, day: date) -> DayResult:
        """Judge one window-day from stored facts, replace its records, alert on what is new."""
        hall = self.halls[hall_id]
        schedule = self.schedules[hall_id]
        working = schedule.working(day)
        now = self.clock()
        close = max((w.end for w in working), default=None)
        for attempt in range(1, RETRIES + 1):
            try:
                with session_scope(engine) as session:
                    inputs = load_inputs(session, hall, window, day, close)
                    result = with_holders(
                        evaluate(
                            inputs.day,
                            working=working,
                            now=now,
                            covers=inputs.covers,
                            demands=inputs.demands,
                            policy=self.policy,
                        ),
                        inputs.ledger,
                    )
                    new_violations, new_notices = save_result(
                        session, hall_id, inputs.day, day, result, now
                    )
                    for v in new_violations:
                        session.add(self._violation_alert(hall_id, v, now))
                    raise_violations(session, hall_id, new_violations, now)
                break
            except (IntegrityError, OperationalError) as exc:  # another worker judged it too
                if attempt == RETRIES:
                    raise
                logger.info(
                    "compliance %s/%s %s conflicted (%s); retrying",
                    hall_id,
                    window,
                    day,
                    type(exc).__name__,
                )
        for n in new_notices:
            self._send_notice(engine, hall, n, day, now)
        return result

    def _violation_alert(self, hall: str, v: Violation, now: datetime) -> AlertRow:
        logger.warning(
            "compliance %s at %s/%s (%s): %s", v.rule, hall, v.seat, v.staff_id, v.detail
        )
        return AlertRow(
            hall=hall,
            rule=v.rule,
            window=v.window,
            seat=v.seat,
            staff_id=v.staff_id,
            audience="operator",
            text=v.detail,
            at=utc(now),
        )

    def neighbour_display(self, hall: Hall, window: str) -> tuple[str | None, str | None]:
        """The neighbour window (rule POST-3) and its counter display device."""
        w = next(x for x in hall.windows if x.id == window)
        for neighbour in w.neighbours:
            for d in hall.devices:
                if d.kind == counter_display.KIND and d.window == neighbour:
                    return neighbour, d.id
        return (w.neighbours[0] if w.neighbours else None), None

    def _send_notice(self, engine: Engine, hall: Hall, n: Notice, day: date, now: datetime) -> None:
        """Rules POST-3, POST-4: neighbour display, operator and the absent staff member."""
        w = next(x for x in hall.windows if x.id == n.window)
        neighbour, device = self.neighbour_display(hall, n.window)
        who = n.ticket or "办事群众"
        text = f"{w.number}号窗口人员暂离，请协助接待{who}"
        command_id = None
        if self.sender is not None and device is not None:
            try:
                command_id = self.sender.send(
                    hall.id, device, DisplayText(text=text, line=1, ttl_s=600)
                )
            except Exception:
                logger.exception("could not send the POST-4 notice to %s", device)
        row: dict[str, Any] = {
            "hall": hall.id,
            "window": n.window,
            "seat": n.seat,
            "staff_id": n.staff_id,
        }
        with session_scope(engine) as session:
            exists = session.exec(
                select(NoticeRow).where(
                    NoticeRow.hall == hall.id,
                    NoticeRow.seat == n.seat,
                    NoticeRow.away_start == utc(n.away_start),
                )
            ).first()
            if exists is not None:
                return
            session.add(
                NoticeRow(
                    **row,
                    day=day,
                    at=utc(n.at),
                    away_start=utc(n.away_start),
                    ticket=n.ticket,
                    neighbour_window=neighbour,
                    neighbour_device=device,
                    text=text,
                    command_id=command_id,
                )
            )
            audiences = [
                "operator",
                f"window:{neighbour}" if neighbour else None,
                f"staff:{n.staff_id}" if n.staff_id else None,
            ]
            raise_alert(  # one alert for the operator, with every recipient listed on it
                session,
                hall=hall.id,
                subject=n.seat,
                kind=f"{n.rule}@{utc(n.away_start).isoformat()}",
                now=utc(now),
                source="compliance",
                message=text,
                words=f"notice.{n.rule}",
                values={"window": w.number, "ticket": n.ticket or ""},
                rule=n.rule,
                window=n.window,
                seat=n.seat,
                staff_id=n.staff_id,
                recipients=[a for a in audiences if a],
            )
            for audience in filter(None, audiences):
                session.add(
                    AlertRow(
                        **row,
                        rule=n.rule,
                        audience=audience,
                        at=utc(now),
                        text=f"{text}（{w.number}号窗口工作人员请速回岗）",
                    )
                )
        logger.warning(
            "POST-4 notice: window %s away while %s waits; told %s",
            n.window,
            who,
            device or "no display",
        )


def raise_violations(
    session: Session, hall: str, violations: Sequence[Violation], now: datetime
) -> None:
    """One alert per new violation (POST-5: one for the pair of seats away together)."""
    seen: set[tuple[str, str, datetime]] = set()
    for v in violations:
        incident = (v.rule, v.window if v.rule == "POST-5" else v.seat, v.start)
        if incident in seen:
            continue
        seen.add(incident)
        raise_alert(
            session,
            hall=hall,
            subject=incident[1],
            kind=f"{v.rule}@{utc(v.start).isoformat()}",
            now=utc(now),
            source="compliance",
            message=v.detail,
            words=f"violation.{v.rule}",
            values=dict(v.values),
            rule=v.rule,
            window=v.window,
            seat=v.seat,
            staff_id=v.staff_id,
            recipients=["operator", *([f"staff:{v.staff_id}"] if v.staff_id else [])],
        )
