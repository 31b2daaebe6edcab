"""The post ledger's flags raised as alerts on the hub's desk (rules ATT-7, POST-6, DUTY-1,
RATE-2), worded from the catalogue; the seat watch runs this in each of its rounds.

A standing flag (a stand-in not seen, an empty window) is raised once it has lasted the
policy's minutes and resolved when it ends. A face at a seat that is not the ledger's holder
(rule RATE-2) is an event: each face is told once, naming the seat, whom the ledger has there
and who was seen, however many rounds find it again (a throttled round may find several: each
is counted, in the order they were seen). Faces are compared with the last face told (device
time, kept on the alert as `seen_at`), never with the hub's clock. A face older than an hour
is not told (a hub started late in the day does not alert the morning). The holder's own face
seen at the seat after the last stranger's closes the incident (resolved by the hub, noted);
a later stranger re-opens it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from hub.duty.alerts import DutyAlert, last_seen, raise_alert, resolve_alert
from hub.duty.hallctx import HallDuty, load_duty_policy
from hub.duty.ledger import Flag, FlagKind, LedgerDay
from hub.duty.words import say
from hub.staff.tables import Staff

STAFF = Staff.__table__  # type: ignore[attr-defined]
FLAG_ALERTS = {
    FlagKind.SUBSTITUTE_MISSING: DutyAlert.SUBSTITUTE_MISSING,
    FlagKind.COVER_MISSING: DutyAlert.COVER_MISSING,
    FlagKind.WINDOW_EMPTY: DutyAlert.WINDOW_EMPTY,
    FlagKind.FACE_MISMATCH: DutyAlert.LEDGER_MISMATCH,
}
FACE_TOLD_WITHIN = timedelta(hours=1)
"""Rule RATE-2: a face seen longer ago than this is not told any more."""


def raise_flags(conn: Connection, hd: HallDuty, ledger: LedgerDay, now: datetime) -> None:
    """Flags that have lasted the policy's minutes raise an alert; ended ones resolve it; faces
    not the holder's are told once each, and closed when the holder is seen back (RATE-2)."""
    grace = timedelta(minutes=load_duty_policy(conn, hd.id).handover.alert_after_min)
    faces: dict[str, list[Flag]] = {}
    with Session(bind=conn) as session:
        live: set[tuple[str, str]] = set()
        for f in ledger.flags:
            if f.kind is FlagKind.FACE_MISMATCH:
                faces.setdefault(f.seat, []).append(f)
            elif f.start + grace <= now < f.end:
                live.add((_subject(f), FLAG_ALERTS[f.kind]))
                _raise(session, hd, f, _values(f, hd.zone), now)
        for f in ledger.flags:
            key = (_subject(f), FLAG_ALERTS[f.kind])
            if f.kind is not FlagKind.FACE_MISMATCH and key not in live and now >= f.end:
                resolve_alert(session, hall=hd.id, subject=key[0], kind=key[1], now=now)
        for seat in sorted(faces.keys() | ledger.holder_seen.keys()):
            _faces(conn, session, hd, seat, faces.get(seat, []), ledger, now)
        session.flush()


def _faces(
    conn: Connection,
    session: Session,
    hd: HallDuty,
    seat: str,
    flags: list[Flag],
    ledger: LedgerDay,
    now: datetime,
) -> None:
    """Rule RATE-2 at one seat: tell each face not told yet; close when the holder is back."""
    kind = DutyAlert.LEDGER_MISMATCH
    told = last_seen(session, hall=hd.id, subject=seat, kind=kind)
    for f in sorted(flags, key=lambda f: f.start):
        if (told is None or f.start > told) and now - f.start <= FACE_TOLD_WITHIN:
            values = _values(f, hd.zone)
            names = _names(conn, [f.staff_id or "", *(f.expected or "").split(", ")])
            values["seen"] = names.get(f.staff_id or "", f.staff_id or "-")
            values["expected"] = (
                "、".join(names.get(x, x) for x in (f.expected or "").split(", ") if x) or "-"
            )
            values["seen_at"] = f.start.isoformat()
            _raise(session, hd, f, values, now, each_time=True)
            told = f.start
    back = ledger.holder_seen.get(seat)
    if told is not None and back is not None and back > told:
        resolve_alert(session, hall=hd.id, subject=seat, kind=kind, now=now)


def _names(conn: Connection, staff: Iterable[str]) -> dict[str, str]:
    """'姓名 工号' of these staff members, for the words of an alert."""
    wanted = sorted({s for s in staff if s})
    if not wanted:
        return {}
    rows = conn.execute(
        sa.select(STAFF.c.staff_id, STAFF.c.name).where(STAFF.c.staff_id.in_(wanted))
    )
    return {sid: f"{name} {sid}" if name else sid for sid, name in rows}


def _subject(f: Flag) -> str:
    return f.window if f.kind is FlagKind.WINDOW_EMPTY else f.seat


def _values(f: Flag, zone: ZoneInfo) -> dict[str, str]:
    """The values the alert's words take."""
    start = f.start.astimezone(zone).strftime("%H:%M")
    return {
        "rule": f.rule,
        "window": f.window,
        "seat": f.seat,
        "staff": f.staff_id or "",
        "since": start,
        "leave": str(f.ref or ""),  # ATT-7: the leaver's leave the missing substitute leaves open
    }


def _raise(
    session: Session,
    hd: HallDuty,
    f: Flag,
    values: dict[str, str],
    now: datetime,
    each_time: bool = False,
) -> None:
    """One alert for a ledger flag, worded in the reader's language from the catalogue."""
    words = f"alert_{f.kind.value}" + ("_seen" if f.kind is FlagKind.FACE_MISMATCH else "")
    raise_alert(
        session,
        hall=hd.id,
        subject=_subject(f),
        kind=FLAG_ALERTS[f.kind],
        message=say("zh-CN", words, **values),
        now=now,
        words=words,
        values=values,
        rule=f.rule,
        window=f.window,
        seat=None if f.kind is FlagKind.WINDOW_EMPTY else f.seat,
        staff_id=f.staff_id,
        each_time=each_time,
    )
