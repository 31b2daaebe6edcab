"""Leaders sitting in at windows (rule DUTY-3) and inspections of the windows (rule DUTY-4).

A leader's sitting is registered a week ahead (later is flagged) and recorded by the leader's
own punch that day, or by an operator; the month's list says who sat where and whether each
week had its sittings. An inspection is recorded against the window and the staff member who
held its seat then (the post ledger), with what it found.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.duty.hallctx import HallDuty, audit_in
from hub.duty.ledger_store import ledger_day, punches
from hub.duty.policy import DutyPolicy
from hub.duty.tables import InspectionRow, LeaderSittingRow
from hub.staff.tables import Staff

SITTING = LeaderSittingRow.__table__  # type: ignore[attr-defined]
INSPECTION = InspectionRow.__table__  # type: ignore[attr-defined]
STAFF = Staff.__table__  # type: ignore[attr-defined]
INSPECTION_KINDS = ("spot", "unannounced")


class VisitRefused(ValueError):
    """A registration or inspection the rules refuse; the message is a catalogue key."""


def _window(hd: HallDuty, window: str) -> None:
    if window not in {w.id for w in hd.hall.windows}:
        raise VisitRefused("visit_err_window")


def _staff(conn: Connection, hd: HallDuty, staff_id: str | None) -> None:
    """A staff number named by an operator must be one of the hall's (else nothing finds it)."""
    if staff_id is None:
        return
    q = sa.select(STAFF.c.staff_id).where(STAFF.c.staff_id == staff_id, STAFF.c.hall == hd.id)
    if conn.execute(q).first() is None:
        raise VisitRefused("visit_err_staff")


def register_sitting(
    conn: Connection,
    hd: HallDuty,
    *,
    leader: str,
    leader_staff_id: str | None,
    unit: str,
    window: str,
    day: date,
    actor: str,
    now: datetime,
    policy: DutyPolicy,
) -> dict[str, Any]:
    """Register a leader's sitting (DUTY-3: a week ahead; a shorter notice is flagged late)."""
    _window(hd, window)
    _staff(conn, hd, leader_staff_id)
    today = hd.local_day(now)
    if day < today:
        raise VisitRefused("visit_err_past")
    twice = sa.select(SITTING.c.id).where(
        SITTING.c.hall == hd.id, SITTING.c.day == day, SITTING.c.leader == leader
    )
    if conn.execute(twice).first() is not None:  # the same leader, the same day: once
        raise VisitRefused("visit_err_twice")
    values = {
        "hall": hd.id,
        "leader": leader,
        "leader_staff_id": leader_staff_id,
        "unit": unit,
        "window": window,
        "day": day,
        "registered_at": now,
        "registered_by": actor,
        "late": (day - today).days < policy.weekly.leader_register_days,
        "note": "",
    }
    key = conn.execute(sa.insert(SITTING).values(**values)).inserted_primary_key
    assert key is not None
    audit_in(conn, actor=actor, action="duty.sitting", entity="sitting", entity_id=key[0], at=now)
    return {**values, "id": int(key[0])}


def record_sitting(
    conn: Connection, hd: HallDuty, sitting_id: int, *, actor: str, now: datetime, note: str
) -> dict[str, Any]:
    """An operator records that the registered sitting took place (today or before)."""
    row = (
        conn.execute(sa.select(SITTING).where(SITTING.c.id == sitting_id, SITTING.c.hall == hd.id))
        .mappings()
        .first()
    )
    if row is None:
        raise KeyError(sitting_id)
    if row["day"] > hd.local_day(now):
        raise VisitRefused("visit_err_future")
    conn.execute(
        sa.update(SITTING)
        .where(SITTING.c.id == sitting_id)
        .values(sat_at=now, sat_source="operator", note=note[:500])
    )
    audit_in(conn, actor=actor, action="duty.sat", entity="sitting", entity_id=sitting_id, at=now)
    return {**dict(row), "sat_at": now, "sat_source": "operator", "note": note}


def sittings(conn: Connection, hd: HallDuty, start: date, end: date) -> list[dict[str, Any]]:
    """Sittings of a range; one not recorded is found by the leader's own punch that day."""
    rows = [
        dict(r)
        for r in conn.execute(
            sa.select(SITTING)
            .where(SITTING.c.hall == hd.id, SITTING.c.day >= start, SITTING.c.day <= end)
            .order_by(SITTING.c.day, SITTING.c.id)
        ).mappings()
    ]
    for r in rows:
        if r["sat_at"] is None and r["leader_staff_id"]:
            t0, t1 = hd.day_bounds(r["day"])
            first, _ = punches(conn, hd.hall, t0, t1)
            if r["leader_staff_id"] in first:
                r["sat_at"], r["sat_source"] = first[r["leader_staff_id"]], "punch"
    return rows


def weeks(start: date, end: date) -> list[tuple[date, date]]:
    """The Monday-to-Sunday weeks that overlap [start, end]."""
    monday = start - timedelta(days=start.weekday())
    out = []
    while monday <= end:
        out.append((monday, monday + timedelta(days=6)))
        monday += timedelta(days=7)
    return out


def sittings_by_week(
    rows: list[dict[str, Any]], start: date, end: date, per_week: int
) -> list[dict[str, Any]]:
    """Per week: sittings that took place, and whether the minimum was met (DUTY-3)."""
    out = []
    for a, b in weeks(start, end):
        sat = [r for r in rows if a <= r["day"] <= b and r["sat_at"] is not None]
        out.append({"week": a, "end": b, "sat": len(sat), "met": len(sat) >= per_week})
    return out


def record_inspection(
    conn: Connection,
    hd: HallDuty,
    *,
    at: datetime,
    kind: str,
    inspector: str,
    window: str,
    staff_id: str | None,
    problem: bool,
    findings: str,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Record an inspection (DUTY-4) against the window and the staff member on post then."""
    _window(hd, window)
    if kind not in INSPECTION_KINDS:
        raise VisitRefused("visit_err_kind")
    if at > now + timedelta(minutes=1):
        raise VisitRefused("visit_err_future")
    _staff(conn, hd, staff_id)
    if staff_id is None:  # whoever held the window's first seat then (the post ledger)
        seat = next(w.seats[0] for w in hd.hall.windows if w.id == window)
        staff_id = ledger_day(conn, hd, hd.local_day(at)).staff_at(seat, at)
    values = {
        "hall": hd.id,
        "at": at,
        "kind": kind,
        "inspector": inspector,
        "window": window,
        "staff_id": staff_id,
        "problem": problem,
        "findings": findings,
        "recorded_by": actor,
        "recorded_at": now,
    }
    key = conn.execute(sa.insert(INSPECTION).values(**values)).inserted_primary_key
    assert key is not None
    audit_in(
        conn, actor=actor, action="duty.inspection", entity="inspection", entity_id=key[0], at=now
    )
    return {**values, "id": int(key[0])}


def inspections(conn: Connection, hd: HallDuty, start: date, end: date) -> list[dict[str, Any]]:
    """Inspections of a range of hall-local days, oldest first."""
    t0, _ = hd.day_bounds(start)
    _, t1 = hd.day_bounds(end)
    q = (
        sa.select(INSPECTION)
        .where(INSPECTION.c.hall == hd.id, INSPECTION.c.at >= t0, INSPECTION.c.at < t1)
        .order_by(INSPECTION.c.at, INSPECTION.c.id)
    )
    return [dict(r) for r in conn.execute(q).mappings()]
