"""The duty chief's random duty checks (rule POST-8): planned each morning by the hub, hidden
from viewers until due, recorded with a checklist per seat (on post, badge, sign, desk) next
to the post ledger's holder and the sensors' view; a check not done in time raises an alert."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from hub.compliance.checks import plan_times, sensed
from hub.duty.alerts import DutyAlert, raise_alert
from hub.duty.hallctx import HallDuty, audit_in
from hub.duty.ledger_store import ledger_day
from hub.duty.policy import DutyPolicy
from hub.duty.tables import DutyCheckItemRow, DutyCheckRow
from hub.duty.words import say

logger = logging.getLogger(__name__)
CHECK = DutyCheckRow.__table__  # type: ignore[attr-defined]
ITEM = DutyCheckItemRow.__table__  # type: ignore[attr-defined]


class CheckRefused(ValueError):
    """A duty check cannot be recorded now; the message says why (a catalogue key)."""


def plan_day(
    conn: Connection,
    hd: HallDuty,
    day: date,
    policy: DutyPolicy,
    chief: str | None,
    rng: random.Random | None = None,
) -> list[dict[str, Any]]:
    """The day's checks, planned on first call (rule POST-8: random times in working hours)."""
    existing = checks_of_day(conn, hd.id, day)
    if existing or not hd.is_workday(day):
        return existing
    rules = policy.checks
    times = plan_times(
        hd.schedule.working(day),
        rng or random.SystemRandom(),
        count=rules.per_day,
        min_gap_min=rules.min_gap_min,
    )
    for slot, at in enumerate(times, start=1):
        conn.execute(
            sa.insert(CHECK).values(
                hall=hd.id, day=day, slot=slot, planned_at=at, chief=chief, note=""
            )
        )
    logger.info("duty checks planned for %s on %s (%d)", hd.id, day, len(times))
    return checks_of_day(conn, hd.id, day)


def checks_of_day(conn: Connection, hall: str, day: date) -> list[dict[str, Any]]:
    """The day's checks with their checklist items, in slot order."""
    return checks_between(conn, hall, day, day)


def checks_between(conn: Connection, hall: str, start: date, end: date) -> list[dict[str, Any]]:
    """Checks of a range of days with their items."""
    rows = [
        dict(r)
        for r in conn.execute(
            sa.select(CHECK)
            .where(CHECK.c.hall == hall, CHECK.c.day >= start, CHECK.c.day <= end)
            .order_by(CHECK.c.day, CHECK.c.slot)
        ).mappings()
    ]
    if rows:
        items = conn.execute(
            sa.select(ITEM).where(ITEM.c.check_id.in_([r["id"] for r in rows])).order_by(ITEM.c.id)
        ).mappings()
        by_check: dict[int, list[dict[str, Any]]] = {}
        for i in items:
            by_check.setdefault(i["check_id"], []).append(dict(i))
        for r in rows:
            r["items"] = by_check.get(r["id"], [])
    return rows


def shown(check: Mapping[str, Any], now: datetime, may_see_plan: bool) -> dict[str, Any]:
    """A check as an operator may see it: the planned time is hidden until due (POST-8)."""
    out = dict(check)
    due = check["planned_at"] <= now
    out["due"] = due
    if not due and not may_see_plan:
        out["planned_at"] = None
    return out


def record_check(
    conn: Connection,
    hd: HallDuty,
    check_id: int,
    *,
    actor: str,
    at: datetime,
    now: datetime,
    items: Mapping[str, Mapping[str, Any]],
    note: str,
    policy: DutyPolicy,
) -> dict[str, Any]:
    """Log a performed check: per seat the ledger's holder, the sensors and the checklist."""
    row = (
        conn.execute(sa.select(CHECK).where(CHECK.c.id == check_id, CHECK.c.hall == hd.id))
        .mappings()
        .first()
    )
    if row is None:
        raise KeyError(check_id)
    if at > now + timedelta(minutes=1):
        raise CheckRefused("check_err_future")
    if now < row["planned_at"] or hd.local_day(at) != row["day"]:
        raise CheckRefused("check_err_not_due")
    unknown = sorted(set(items) - {s for s, _ in hd.seats()})
    if unknown:
        raise CheckRefused("check_err_seat")
    ledger = ledger_day(conn, hd, row["day"])
    with Session(bind=conn) as session:
        sensors = {s.seat: s.on_post for s in sensed(session, hd.hall, at)}
    conn.execute(sa.delete(ITEM).where(ITEM.c.check_id == check_id))
    for seat, window in hd.seats():
        h = ledger.holder_at(seat, at)
        seen = items.get(seat, {})
        values = {k: _bool(seen.get(k)) for k in policy.checks.items}
        conn.execute(
            sa.insert(ITEM).values(
                check_id=check_id,
                seat=seat,
                window=window,
                staff_id=h.staff_id if h else None,
                basis=h.basis.value if h else "vacant",
                sensed_on_post=sensors.get(seat),
                note=str(seen.get("note", ""))[:500],
                **values,
            )
        )
    conn.execute(
        sa.update(CHECK)
        .where(CHECK.c.id == check_id)
        .values(performed_at=at, checked_by=actor, note=note[:1000])
    )
    audit_in(
        conn,
        actor=actor,
        action="duty_check.record",
        entity="duty_check",
        entity_id=check_id,
        after={"at": at.isoformat(), "seats": len(items)},
        at=now,
    )
    return checks_of_day(conn, hd.id, row["day"])[row["slot"] - 1]


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def overdue(conn: Connection, hd: HallDuty, now: datetime, policy: DutyPolicy) -> int:
    """Raise one alert per check not done `overdue_after_min` after its time (POST-8)."""
    late = now - timedelta(minutes=policy.checks.overdue_after_min)
    rows = (
        conn.execute(
            sa.select(CHECK).where(
                CHECK.c.hall == hd.id,
                CHECK.c.performed_at.is_(None),
                CHECK.c.overdue_alerted_at.is_(None),
                CHECK.c.planned_at <= late,
            )
        )
        .mappings()
        .all()
    )
    with Session(bind=conn) as session:
        for r in rows:
            planned = r["planned_at"].astimezone(hd.zone).strftime("%m-%d %H:%M")
            raise_alert(
                session,
                hall=hd.id,
                subject=f"check-{r['day'].isoformat()}-{r['slot']}",
                kind=DutyAlert.CHECK_OVERDUE,
                message=say("zh-CN", "alert_check_overdue", slot=r["slot"], planned=planned),
                now=now,
                words="alert_check_overdue",
                values={"slot": r["slot"], "planned": planned},
                rule="POST-8",
                staff_id=r["chief"],
            )
        session.flush()
    for r in rows:
        conn.execute(sa.update(CHECK).where(CHECK.c.id == r["id"]).values(overdue_alerted_at=now))
    return len(rows)
