"""The duty chief in the database (rule DUTY-2): the centre's rotation, stand-ins approved by
the head duty chief, and the duty chief's log (entries, handovers, points)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from hub.duty.alerts import DutyAlert, raise_alert, resolve_alert
from hub.duty.hallctx import HallDuty, audit_in
from hub.duty.ledger_store import absences
from hub.duty.rotation import ChiefStandIn, Rotation, chief_of, current_rotation, unapproved_leave
from hub.duty.tables import ChiefStandInRow, DutyLogRow, RotationRow
from hub.duty.words import say
from hub.staff.tables import Staff

ROTATION = RotationRow.__table__  # type: ignore[attr-defined]
STANDIN = ChiefStandInRow.__table__  # type: ignore[attr-defined]
LOG = DutyLogRow.__table__  # type: ignore[attr-defined]
STAFF = Staff.__table__  # type: ignore[attr-defined]
LOG_KINDS = ("note", "incident", "handover", "points")


class ChiefRefused(ValueError):
    """A duty chief change the rules refuse; the message is a catalogue key."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, {k: str(v) for k, v in values.items()}


def rotations(conn: Connection, hall: str) -> list[Rotation]:
    """Every rotation the centre set, oldest first."""
    q = sa.select(ROTATION).where(ROTATION.c.hall == hall).order_by(ROTATION.c.id)
    return [Rotation(r.anchor, tuple(r.order or ()), r.term_days, r.id) for r in conn.execute(q)]


def stand_ins(conn: Connection, hall: str) -> list[ChiefStandIn]:
    """Approved stand-ins for duty chiefs."""
    q = sa.select(STANDIN).where(STANDIN.c.hall == hall).order_by(STANDIN.c.id)
    return [
        ChiefStandIn(r.chief, r.staff_id, r.start, r.end, r.approved_by) for r in conn.execute(q)
    ]


def away_chiefs(conn: Connection, hd: HallDuty, rots: list[Rotation], day: date) -> set[str]:
    """The centre's duty chiefs on approved leave during the day's opening hours (ATT-5)."""
    rot = current_rotation(rots, day)
    if rot is None:
        return set()
    leave = absences(conn, list(rot.order), hd.opening(day), hd.closing(day))
    return {a.staff_id for a in leave}


def chief_on(conn: Connection, hd: HallDuty, day: date) -> tuple[str, str | None] | None:
    """(Duty chief of the day, the rostered one when someone stands in), or None (DUTY-2)."""
    rots = rotations(conn, hd.id)
    return chief_of(rots, stand_ins(conn, hd.id), day, away_chiefs(conn, hd, rots, day))


def unapproved_chief(conn: Connection, hd: HallDuty, day: date) -> str | None:
    """Rule DUTY-2: the rostered chief on leave `day` with no approved stand-in, else None."""
    rots = rotations(conn, hd.id)
    return unapproved_leave(rots, stand_ins(conn, hd.id), day, away_chiefs(conn, hd, rots, day))


def chief_leave_alert(conn: Connection, hd: HallDuty, now: datetime) -> bool:
    """Rule DUTY-2: the duty chief's own leave needs an approved stand-in. Raise one alert
    while today's rostered chief is on leave without one (naming who stands in meanwhile);
    resolve it when a stand-in is approved. True if the condition holds now."""
    day = hd.local_day(now)
    rots = rotations(conn, hd.id)
    subs = stand_ins(conn, hd.id)
    away = away_chiefs(conn, hd, rots, day)
    chief = unapproved_leave(rots, subs, day, away)
    subject = f"chief-{day.isoformat()}"
    with Session(bind=conn) as session:
        if chief is None:
            resolve_alert(session, hall=hd.id, subject=subject, kind=DutyAlert.CHIEF_LEAVE, now=now)
        else:
            found = chief_of(rots, subs, day, away)
            values = {"rule": "DUTY-2", "staff": chief, "standin": found[0] if found else "-"}
            raise_alert(
                session,
                hall=hd.id,
                subject=subject,
                kind=DutyAlert.CHIEF_LEAVE,
                message=say("zh-CN", "alert_chief_leave", **values),
                now=now,
                words="alert_chief_leave",
                values=values,
                rule="DUTY-2",
                staff_id=chief,
            )
        session.flush()
    return chief is not None


def _known(conn: Connection, hall: str, people: list[str]) -> None:
    found = set(
        conn.execute(
            sa.select(STAFF.c.staff_id).where(STAFF.c.hall == hall, STAFF.c.staff_id.in_(people))
        ).scalars()
    )
    missing = [p for p in people if p not in found]
    if missing:
        raise ChiefRefused("chief_err_staff", staff=", ".join(missing))


def set_rotation(
    conn: Connection,
    hall: str,
    *,
    anchor: date,
    order: list[str],
    term_days: int,
    actor: str,
    now: datetime,
    why: str = "",
) -> dict[str, Any]:
    """The centre sets the order of duty chiefs from `anchor` on (rule DUTY-2); audited."""
    if not order or len(set(order)) != len(order):
        raise ChiefRefused("chief_err_order")
    _known(conn, hall, order)
    values = {
        "hall": hall,
        "anchor": anchor,
        "term_days": term_days,
        "order": order,
        "set_at": now,
        "set_by": actor,
    }
    conn.execute(sa.insert(ROTATION).values(**values))
    audit_in(
        conn,
        actor=actor,
        action="duty.rotation",
        entity="rotation",
        entity_id=f"{hall}/{anchor.isoformat()}",
        after={"order": order, "term_days": term_days},
        why=why,
        at=now,
    )
    return values


def add_stand_in(
    conn: Connection,
    hall: str,
    *,
    chief: str,
    staff_id: str,
    start: date,
    end: date,
    approved_by: str,
    reason: str,
    now: datetime,
) -> dict[str, Any]:
    """A stand-in for the duty chief's own leave, approved by the head duty chief (DUTY-2)."""
    if end < start:
        raise ChiefRefused("chief_err_dates")
    if chief == staff_id:
        raise ChiefRefused("chief_err_self")
    if approved_by == chief:
        raise ChiefRefused("chief_err_approver")
    _known(conn, hall, [chief, staff_id])
    rots = rotations(conn, hall)
    day = start
    while day <= end:
        found = chief_of(rots, [], day)
        if found is None or found[0] != chief:
            raise ChiefRefused("chief_err_not_chief", staff=chief, day=day)
        day = date.fromordinal(day.toordinal() + 1)
    values = {
        "hall": hall,
        "chief": chief,
        "staff_id": staff_id,
        "start": start,
        "end": end,
        "approved_by": approved_by,
        "reason": reason,
        "created_at": now,
    }
    conn.execute(sa.insert(STANDIN).values(**values))
    audit_in(
        conn,
        actor=approved_by,
        action="duty.standin",
        entity="chief_standin",
        entity_id=f"{hall}/{chief}/{start.isoformat()}",
        after={"staff_id": staff_id, "end": end.isoformat()},
        why=reason,
        at=now,
    )
    return values


def add_log(
    conn: Connection,
    hd: HallDuty,
    *,
    day: date,
    author: str,
    kind: str,
    text: str,
    now: datetime,
    today: date,
    staff_id: str | None = None,
    window: str | None = None,
    points: float = 0,
) -> dict[str, Any]:
    """An entry of the duty chief's log (值班长日志); points (加分/扣分) name whom they go to."""
    if kind not in LOG_KINDS:
        raise ChiefRefused("log_err_kind", kind=kind)
    if not text.strip():
        raise ChiefRefused("log_err_text")
    if points and not (staff_id or window):
        raise ChiefRefused("log_err_points")
    if day > today:  # a day not yet come has no log
        raise ChiefRefused("log_err_future")
    if staff_id:
        _known(conn, hd.id, [staff_id])
    found = chief_on(conn, hd, day)
    values = {
        "hall": hd.id,
        "day": day,
        "at": now,
        "author": author,
        "chief": found[0] if found else None,
        "kind": kind,
        "text": text,
        "staff_id": staff_id,
        "window": window,
        "points": points,
    }
    key = conn.execute(sa.insert(LOG).values(**values)).inserted_primary_key
    assert key is not None
    return {**values, "id": int(key[0])}


def log_between(conn: Connection, hall: str, start: date, end: date) -> list[dict[str, Any]]:
    """Log entries of a range of days, oldest first."""
    q = (
        sa.select(LOG)
        .where(LOG.c.hall == hall, LOG.c.day >= start, LOG.c.day <= end)
        .order_by(LOG.c.day, LOG.c.at, LOG.c.id)
    )
    return [dict(r) for r in conn.execute(q).mappings()]
