"""The duty chief's acknowledgement of the opening check (rule DEV-1): the hub checks the
attendance machines, screens, rating devices, kiosk and ticket printer before opening (fleet);
the day's duty chief acknowledges the report by opening time, or an alert is raised (the duty
chief answers for an attendance machine fault not reported, 003)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from hub.duty.alerts import DutyAlert, raise_alert, resolve_alert
from hub.duty.hallctx import HallDuty, audit_in
from hub.duty.policy import DutyPolicy
from hub.duty.tables import OpeningAckRow
from hub.duty.words import say
from hub.fleet.tables import OpeningCheck

logger = logging.getLogger(__name__)
ACK = OpeningAckRow.__table__  # type: ignore[attr-defined]
REPORT = OpeningCheck.__table__  # type: ignore[attr-defined]


class AckRefused(ValueError):
    """The opening check cannot be acknowledged now; the message is a catalogue key."""


def due_at(hd: HallDuty, day: date, policy: DutyPolicy) -> datetime:
    """When the acknowledgement is due: opening time plus the policy's minutes (DEV-1)."""
    return hd.opening(day) + timedelta(minutes=policy.opening.ack_after_opening_min)


def report_of(conn: Connection, hall: str, day: date) -> dict[str, Any] | None:
    """The fleet's opening check report of the day, if it ran."""
    row = (
        conn.execute(sa.select(REPORT).where(REPORT.c.hall == hall, REPORT.c.day == day))
        .mappings()
        .first()
    )
    return dict(row) if row else None


def state(conn: Connection, hd: HallDuty, day: date, policy: DutyPolicy) -> dict[str, Any]:
    """The day's opening check: the fleet's report and the duty chief's acknowledgement."""
    ack = (
        conn.execute(sa.select(ACK).where(ACK.c.hall == hd.id, ACK.c.day == day)).mappings().first()
    )
    out: dict[str, Any] = dict(ack) if ack else {"hall": hd.id, "day": day}
    out.setdefault("due_at", due_at(hd, day, policy))
    out["report"] = report_of(conn, hd.id, day)
    return out


def acknowledge(
    conn: Connection,
    hd: HallDuty,
    *,
    actor: str,
    chief: str | None,
    now: datetime,
    note: str,
    policy: DutyPolicy,
) -> dict[str, Any]:
    """The duty chief acknowledges today's report (rule DEV-1); once a day; audited."""
    day = hd.local_day(now)
    report = report_of(conn, hd.id, day)
    if report is None:
        raise AckRefused("opening_err_no_report")
    existing = (
        conn.execute(sa.select(ACK).where(ACK.c.hall == hd.id, ACK.c.day == day)).mappings().first()
    )
    if existing is not None and existing["acknowledged_at"] is not None:
        raise AckRefused("opening_err_done")
    due = due_at(hd, day, policy)
    problems = list(report["problems"] or [])
    values: dict[str, Any] = {
        "due_at": due,
        "acknowledged_at": now,
        "acknowledged_by": actor,
        "chief": chief,
        "problems": problems,
        "note": note[:1000],
    }
    if existing is None:
        conn.execute(sa.insert(ACK).values(hall=hd.id, day=day, **values))
    else:
        conn.execute(sa.update(ACK).where(ACK.c.hall == hd.id, ACK.c.day == day).values(**values))
    with Session(bind=conn) as session:
        resolve_alert(
            session,
            hall=hd.id,
            subject=f"opening-{day.isoformat()}",
            kind=DutyAlert.OPENING_UNACKNOWLEDGED,
            now=now,
        )
        session.flush()
    audit_in(
        conn,
        actor=actor,
        action="opening_check.acknowledge",
        entity="opening_check",
        entity_id=f"{hd.id}/{day.isoformat()}",
        after={"problems": len(problems), "late": now > due},
        why=note,
        at=now,
    )
    return state(conn, hd, day, policy)


def unacknowledged(conn: Connection, hd: HallDuty, now: datetime, policy: DutyPolicy) -> bool:
    """Raise the day's alert once when the acknowledgement is overdue (DEV-1); True if raised."""
    day = hd.local_day(now)
    if not hd.is_workday(day):
        return False
    due = due_at(hd, day, policy)
    if now < due:
        return False
    row = (
        conn.execute(sa.select(ACK).where(ACK.c.hall == hd.id, ACK.c.day == day)).mappings().first()
    )
    if row is not None and (row["acknowledged_at"] is not None or row["alerted_at"] is not None):
        return False
    if row is None:
        conn.execute(
            sa.insert(ACK).values(hall=hd.id, day=day, due_at=due, alerted_at=now, note="")
        )
    else:
        conn.execute(
            sa.update(ACK).where(ACK.c.hall == hd.id, ACK.c.day == day).values(alerted_at=now)
        )
    values = {"day": day.isoformat(), "due": due.astimezone(hd.zone).strftime("%H:%M")}
    text = say("zh-CN", "alert_opening_unacknowledged", **values)
    with Session(bind=conn) as session:
        raise_alert(
            session,
            hall=hd.id,
            subject=f"opening-{day.isoformat()}",
            kind=DutyAlert.OPENING_UNACKNOWLEDGED,
            message=text,
            now=now,
            words="alert_opening_unacknowledged",
            values=values,
            rule="DEV-1",
        )
        session.flush()
    return True
