"""What the dashboard pages show, read from the areas' tables and functions as plain dicts."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.compliance.tables import AwayRow, ComplianceMark, ViolationRow
from hub.fleet.api import latest_opening_check, list_devices
from hub.fleet.engine import FleetPolicy
from hub.fleet.public import DevicePublic
from hub.fleet.tables import Alert
from hub.staff.tables import Staff
from models.layout import Hall

logger = logging.getLogger(__name__)


def _aware(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SeatView:
    """One seat on the hall map: who holds it and whether they are on post."""

    seat: str
    post: str
    staff_id: str | None
    name: str
    state: str  # on_post, away, unknown, unassigned
    sign_on: bool
    away_since: datetime | None
    fault: bool


def local_day(now: datetime, hall: Hall) -> date:
    """The hall's calendar day at `now`."""
    return now.astimezone(ZoneInfo(hall.timezone)).date()


def staff_names(session: Session) -> dict[str, str]:
    """staff id -> name."""
    return {s.staff_id: s.name for s in session.exec(select(Staff)).all()}


def _latest_marks(session: Session, hall: str, day: date) -> dict[tuple[str, str], ComplianceMark]:
    """(seat, kind) -> the latest sign/presence/fault mark of the day."""
    rows = session.exec(
        select(ComplianceMark)
        .where(
            ComplianceMark.hall == hall,
            ComplianceMark.day == day,
            col(ComplianceMark.kind).in_(("sign", "presence", "fault")),
        )
        .order_by(col(ComplianceMark.at))
    ).all()
    return {(m.subject, m.kind): m for m in rows}


def seat_view(
    seat: str,
    holder: tuple[str | None, str] | None,
    names: dict[str, str],
    marks: dict[tuple[str, str], ComplianceMark],
    open_away: dict[str, datetime],
) -> SeatView:
    """Judge one seat from its latest marks (rule POST-2: the away sign says away).

    `holder` is the post ledger's (staff id, basis: A, B, substitute, cover, vacant).
    """
    sign = marks.get((seat, "sign"))
    presence = marks.get((seat, "presence"))
    fault = marks.get((seat, "fault"))
    sign_on = bool(sign and sign.on)
    since: datetime | None = None
    if sign_on and sign is not None:
        state, since = "away", _aware(sign.at)
    elif presence is not None and not presence.on:
        state, since = "away", _aware(presence.at)
    elif presence is not None:
        state = "on_post"
    else:
        state = "unknown" if holder and holder[0] else "unassigned"
    if state == "away" and seat in open_away:
        since = open_away[seat]
    staff_id = holder[0] if holder else None
    return SeatView(
        seat=seat,
        post=holder[1] if holder and holder[0] else "",
        staff_id=staff_id,
        name=names.get(staff_id or "", staff_id or ""),
        state=state,
        sign_on=sign_on,
        away_since=since,
        fault=bool(fault and fault.on),
    )


def hall_map(
    engine: Engine, hall: Hall, now: datetime, policy: FleetPolicy, queue: dict[str, Any] | None
) -> dict[str, Any]:
    """Every window with its seats, counter and devices; the hall's own devices; the queue."""
    day = local_day(now, hall)
    with Session(engine) as session:
        holders = _holders(session, hall, now)
        names = staff_names(session)
        marks = _latest_marks(session, hall.id, day)
        open_away = {
            a.seat: aware
            for a in session.exec(
                select(AwayRow).where(
                    AwayRow.hall == hall.id, AwayRow.day == day, col(AwayRow.end).is_(None)
                )
            )
            if (aware := _aware(a.start)) is not None
        }
        devices = list_devices(session, now, policy, hall=hall.id)
    counters = {c["window"]: c for c in (queue or {}).get("counters", [])}
    by_window: dict[str | None, list[DevicePublic]] = defaultdict(list)
    for d in devices:
        by_window[d.window].append(d)
    windows = []
    for w in hall.windows:
        windows.append(
            {
                "id": w.id,
                "number": w.number,
                "name": w.called,
                "services": w.services,
                "seats": [seat_view(s, holders.get(s), names, marks, open_away) for s in w.seats],
                "counter": counters.get(w.id),
                "devices": by_window.get(w.id, []),
            }
        )
    return {
        "hall": hall,
        "day": day,
        "windows": windows,
        "hall_devices": by_window.get(None, []),
        "queue": queue or {},
        "now": now,
    }


def _holders(session: Session, hall: Hall, now: datetime) -> dict[str, tuple[str | None, str]]:
    """Who holds each seat now and why, from the post ledger (hub.duty)."""
    from hub.duty.ledger_store import hall_duty, ledger_day

    hd = hall_duty(hall)
    ledger = ledger_day(session.connection(), hd, hd.local_day(now))
    out: dict[str, tuple[str | None, str]] = {}
    for seat, _window in hd.seats():
        h = ledger.holder_at(seat, now)
        if h is not None:
            out[seat] = (h.staff_id, h.basis.value)
    return out


def device_health(
    engine: Engine, halls: list[Hall], now: datetime, policy: FleetPolicy
) -> dict[str, Any]:
    """Every device's health, the open alerts and each hall's latest opening check (DEV-1)."""
    with Session(engine) as session:
        devices = list_devices(session, now, policy)
        checks = latest_opening_check(session, halls)
    counts = Counter(d.status for d in devices)
    return {"devices": devices, "checks": checks, "counts": counts}


def people_names(session: Session, halls: list[Hall]) -> dict[str, str]:
    """`staff:<id>` and `window:<id>` -> the name the hall uses."""
    names = {f"staff:{k}": v for k, v in staff_names(session).items()}
    for h in halls:
        names.update({f"window:{k}": v for k, v in h.window_names().items()})
    return names


def _violation_kind(v: ViolationRow) -> str:
    """The alert desk's kind of a violation's incident (hub.compliance.projector)."""
    start = _aware(v.start)
    return f"{v.rule}@{start.astimezone(UTC).isoformat() if start else ''}"


def violation_words(session: Session, hall: str, rows: Sequence[ViolationRow]) -> dict[str, Alert]:
    """Each violation's alert (its catalogue words and values), by the alert's kind."""
    kinds = {_violation_kind(v) for v in rows}
    if not kinds:
        return {}
    found = session.exec(
        select(Alert).where(
            Alert.hall == hall, Alert.source == "compliance", col(Alert.kind).in_(kinds)
        )
    ).all()
    return {a.kind: a for a in found}


def violations(engine: Engine, hall: Hall, first: date, last: date) -> list[dict[str, Any]]:
    """On-post violations of a hall between two days, newest first, with staff names."""
    with Session(engine) as session:
        names = staff_names(session)
        rows = session.exec(
            select(ViolationRow)
            .where(
                ViolationRow.hall == hall.id,
                col(ViolationRow.day) >= first,
                col(ViolationRow.day) <= last,
            )
            .order_by(col(ViolationRow.start).desc())
        ).all()
        worded = violation_words(session, hall.id, rows)
    windows = hall.window_names()
    return [
        {
            "day": v.day,
            "window": windows.get(v.window, v.window),
            "seat": v.seat,
            "staff": names.get(v.staff_id or "", v.staff_id or ""),
            "rule": v.rule,
            "start": _aware(v.start),
            "end": _aware(v.end),
            "detail": v.detail,
            "words": worded.get(_violation_kind(v)),
        }
        for v in rows
    ]


def month_of(day: date) -> str:
    """YYYY-MM of a day."""
    return f"{day.year:04d}-{day.month:02d}"


def parse_day(text: str | None, default: date) -> date:
    """A YYYY-MM-DD query value, or the default when absent or malformed."""
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


def week_before(day: date) -> date:
    """Six days before `day` (a week up to and including it)."""
    return day - timedelta(days=6)
