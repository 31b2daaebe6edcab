"""Promised cases and live queue alerts in the database (QUEUE-5, QUEUE-6).

A ticket of a promised service (承诺件) that a window finishes is an accepted case, due within
its service's promised working days; it stays open until the window's system (or an
operator) marks it finished. Queue alerts are stored once per (hall, kind, ref).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hub.dbtypes import aware
from hub.queue.engine import EventKind, QueueEngine, QueueEvent
from hub.queue.promises import LiveAlert, PromisedCase, promise_due
from hub.queue.tables import QueueAlertRow, QueueCaseRow
from hub.workdays import IsWorkday

logger = logging.getLogger(__name__)
CASE = QueueCaseRow.__table__  # type: ignore[attr-defined]
ALERT = QueueAlertRow.__table__  # type: ignore[attr-defined]


class CaseError(ValueError):
    """A change to a promised case that is not allowed, with the reason."""


def record_accepted(
    conn: Connection,
    hall: str,
    queue: QueueEngine,
    events: Sequence[QueueEvent],
    is_workday: IsWorkday,
) -> int:
    """Open a promised case for each promised-service ticket these events finish (QUEUE-5)."""
    opened = 0
    for ev in events:
        if ev.kind is not EventKind.FINISHED or not ev.ticket:
            continue
        t = queue.tickets.get(ev.ticket)
        spec = queue.services.get(t.service) if t else None
        if t is None or spec is None or spec.immediate or not spec.promised_days:
            continue
        accepted = t.started_at or t.called_at or ev.at
        day = (queue.day or accepted.astimezone(queue.settings.tz).date()).isoformat()
        exists = conn.execute(
            sa.select(CASE.c.id).where(
                CASE.c.hall == hall, CASE.c.day == day, CASE.c.ticket == t.number
            )
        ).first()
        if exists:
            continue
        due = promise_due(accepted, spec.promised_days, queue.settings.tz, is_workday)
        conn.execute(
            sa.insert(CASE).values(
                hall=hall,
                day=day,
                ticket=t.number,
                service=t.service,
                window=t.window or ev.window,
                staff=t.staff,
                case_no=t.case_no,
                accepted_at=accepted.astimezone(UTC),
                due_at=due.astimezone(UTC),
                note="",
            )
        )
        opened += 1
    return opened


def link_case_no(conn: Connection, hall: str, day: str, ticket: str, case_no: str) -> None:
    """Copy a case number given after acceptance onto the ticket's promised case."""
    conn.execute(
        sa.update(CASE)
        .where(CASE.c.hall == hall, CASE.c.day == day, CASE.c.ticket == ticket)
        .values(case_no=case_no)
    )


def _case(r: Any) -> PromisedCase:
    accepted, due = aware(r.accepted_at), aware(r.due_at)
    assert accepted is not None and due is not None
    return PromisedCase(r.id, r.day, r.ticket, r.service, r.window, accepted, due, r.case_no)


def open_cases(engine: Engine, hall: str) -> list[PromisedCase]:
    """The hall's promised cases not finished yet, soonest due first."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(CASE)
            .where(CASE.c.hall == hall, CASE.c.completed_at.is_(None))
            .order_by(CASE.c.due_at, CASE.c.id)
        ).all()
    return [_case(r) for r in rows]


def list_cases(engine: Engine, hall: str, *, open_only: bool = False) -> list[dict[str, Any]]:
    """Promised cases as plain rows (times aware), soonest due first."""
    q = sa.select(CASE).where(CASE.c.hall == hall)
    if open_only:
        q = q.where(CASE.c.completed_at.is_(None))
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q.order_by(CASE.c.due_at, CASE.c.id))]
    for r in rows:
        for k in ("accepted_at", "due_at", "completed_at"):
            r[k] = aware(r[k])
    return rows


def complete_case(
    engine: Engine, hall: str, case_id: int, actor: str, now: datetime, note: str = ""
) -> dict[str, Any]:
    """Mark a promised case finished (办结); KeyError if unknown, CaseError if finished."""
    with engine.begin() as conn:
        row = conn.execute(sa.select(CASE).where(CASE.c.hall == hall, CASE.c.id == case_id)).first()
        if row is None:
            raise KeyError(case_id)
        if row.completed_at is not None:
            raise CaseError(f"case {case_id} was finished already")
        conn.execute(
            sa.update(CASE)
            .where(CASE.c.id == case_id)
            .values(completed_at=now.astimezone(UTC), completed_by=actor, note=note[:500])
        )
    return next(r for r in list_cases(engine, hall) if r["id"] == case_id)


def store_alerts(
    engine: Engine, hall: str, alerts: Sequence[LiveAlert], now: datetime
) -> list[LiveAlert]:
    """Store the alerts not stored before; returns the new ones (each is raised once)."""
    if not alerts:
        return []
    new = []
    with engine.begin() as conn:
        known = {
            (r.kind, r.ref)
            for r in conn.execute(
                sa.select(ALERT.c.kind, ALERT.c.ref).where(
                    ALERT.c.hall == hall, ALERT.c.ref.in_([a.ref for a in alerts])
                )
            )
        }
        for a in alerts:
            if (a.kind, a.ref) in known:
                continue
            known.add((a.kind, a.ref))
            conn.execute(
                sa.insert(ALERT).values(
                    hall=hall,
                    kind=a.kind,
                    rule=a.rule,
                    ref=a.ref,
                    window=a.window,
                    ticket=a.ticket,
                    text=a.text[:500],
                    at=now.astimezone(UTC),
                )
            )
            new.append(a)
    for a in new:
        logger.warning("queue alert %s %s (%s): %s", hall, a.kind, a.rule, a.text)
    return new


def list_alerts(engine: Engine, hall: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Queue alerts, newest first."""
    q = sa.select(ALERT)
    if hall is not None:
        q = q.where(ALERT.c.hall == hall)
    with engine.connect() as conn:
        rows = [
            dict(r._mapping)
            for r in conn.execute(q.order_by(ALERT.c.at.desc(), ALERT.c.id.desc()).limit(limit))
        ]
    for r in rows:
        r["at"] = aware(r["at"])
    return rows
