"""Follow-up of dissatisfied ratings in the database (RATE-3): open with the deadlines and the
citizen's sealed number, each step audited, the number opened only to call (audited) and
erased at closure (PRIV-1), missed deadlines alerted once. The rules: followup_rules.py.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hub.db import insert_alert_once, lock_row
from hub.dbtypes import aware as aware_utc
from hub.events.tables import Event
from hub.ratings.followup_rules import (
    ATTEMPT_RESULTS,
    DONE,
    TOLD_HOW,
    Finding,
    FollowupError,
    FollowupState,
    deadlines,
    next_state,
    overdue,
    rectify_due,
)
from hub.ratings.scheme import RatingSettings
from hub.ratings.tables import FollowupLogRow, FollowupRow, RatingAlertRow, RatingRow

logger = logging.getLogger(__name__)
FOLLOWUP = FollowupRow.__table__  # type: ignore[attr-defined]
LOG = FollowupLogRow.__table__  # type: ignore[attr-defined]
SYSTEM = "system"
"""The actor of the steps the hub takes itself (opening a follow-up)."""
ALERT = RatingAlertRow.__table__  # type: ignore[attr-defined]
RATING = RatingRow.__table__  # type: ignore[attr-defined]
EVENT = Event.__table__  # type: ignore[attr-defined]
_STAMP = {
    "assign": "assigned_at",
    "contacted": "contacted_at",
    "verified": "verified_at",
    "rectify": "rectifying_at",
    "rectified": "rectified_at",
    "closed": "closed_at",
    "audited": "audited_at",
}
IsWorkday = Callable[[date], bool]


def raise_alert(
    conn: Connection,
    *,
    hall: str,
    kind: str,
    rule: str,
    ref: str,
    window: str | None,
    staff_id: str | None,
    text: str,
    now: datetime,
) -> bool:
    """Store an alert once per (hall, kind, ref); True when it is new."""
    values = {"rule": rule, "window": window, "staff_id": staff_id, "at": now}
    return insert_alert_once(conn, ALERT, hall=hall, kind=kind, ref=ref, text=text, **values)


def open_followup(
    conn: Connection,
    rating: dict[str, Any],
    settings: RatingSettings,
    tz: ZoneInfo,
    is_workday: IsWorkday,
    now: datetime,
    contact: str | None = None,
    *,
    unreadable: bool = False,
) -> int:
    """Open the follow-up of a dissatisfied rating: contact due the same working day (RATE-3);
    `unreadable`: the device sent a number that does not open as one (not kept)."""
    due = deadlines(rating["rated_at"], tz, settings, is_workday)
    key = conn.execute(
        sa.insert(FOLLOWUP).values(
            rating_id=rating["id"],
            hall=rating["hall"],
            window=rating["window"],
            staff_id=rating["staff_id"],
            ticket=rating["ticket"],
            level=rating["level"],
            reason=rating["reason"],
            state=FollowupState.OPEN.value,
            opened_at=now,
            contact_due=due.contact_due,
            close_due=due.close_due,
            outcome="",
            contact=contact,
            attempts=0,
            rectify_plan="",
        )
    ).inserted_primary_key
    assert key is not None
    note = "followup.opened.number" if contact else "followup.opened"  # worded by the page
    if unreadable:
        note = "followup.opened.unreadable"
    conn.execute(
        sa.insert(LOG).values(followup_id=key[0], at=now, action="open", actor=SYSTEM, note=note)
    )
    return int(key[0])


NOTED = re.compile(r"^\[((?:[a-z_]+=[^;\]]*;?)+)\] ?(.*)$", re.S)


def noted(note: str, **details: str) -> str:
    """A step's log text: its details as codes (`[finding=partly] note`), worded by the page."""
    head = ";".join(f"{k}={str(v).replace(';', ',').replace(']', ')')}" for k, v in details.items())
    return f"[{head}] {note}".strip()


def split_noted(text: str) -> tuple[dict[str, str], str]:
    """The details and the operator's note of a step's log text (see `noted`)."""
    found = NOTED.match(text or "")
    if found is None:
        return {}, text or ""
    pairs = (part.split("=", 1) for part in found.group(1).split(";") if "=" in part)
    return dict(pairs), found.group(2)


def _log(conn: Connection, fid: int, now: datetime, action: str, actor: str, note: str) -> None:
    conn.execute(
        sa.insert(LOG).values(followup_id=fid, at=now, action=action, actor=actor, note=note[:1000])
    )


def erase_contact(conn: Connection, followup_id: int, now: datetime) -> None:
    """Erase the citizen's number everywhere it was kept (rule PRIV-1): the follow-up's copy and
    the sealed copy in the stored Rating fact (the fact keeps everything else)."""
    row = conn.execute(
        sa.select(FOLLOWUP.c.rating_id, FOLLOWUP.c.contact).where(FOLLOWUP.c.id == followup_id)
    ).first()
    if row is None or not row.contact:
        return  # nothing left, or erased already (its time is kept)
    conn.execute(
        sa.update(FOLLOWUP)
        .where(FOLLOWUP.c.id == followup_id)
        .values(contact=None, contact_erased_at=now)
    )
    event_id = conn.execute(
        sa.select(RATING.c.event_id).where(RATING.c.id == row.rating_id)
    ).scalar()
    if event_id:
        redact_fact(conn, str(event_id))


def redact_fact(conn: Connection, event_id: str) -> bool:
    """Remove a sealed phone number from a stored Rating fact (PRIV-1); True when one was there."""
    body = conn.execute(sa.select(EVENT.c.body).where(EVENT.c.event_id == event_id)).scalar()
    if not body:
        return False
    data = json.loads(body)
    if not data.get("contact"):
        return False
    data["contact"] = None
    conn.execute(
        sa.update(EVENT)
        .where(EVENT.c.event_id == event_id)
        .values(body=json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    )
    logger.info("erased the sealed phone number of fact %s (PRIV-1)", event_id)
    return True


def act(
    engine: Engine,
    followup_id: int,
    action: str,
    actor: str,
    now: datetime,
    *,
    note: str = "",
    assignee: str | None = None,
    finding: str | None = None,
    result: str | None = None,
    due: date | None = None,
    told_how: str | None = None,
    tz: ZoneInfo | None = None,
    is_workday: IsWorkday | None = None,
) -> dict[str, Any]:
    """One audited step (see followup_rules); KeyError if no such task, FollowupError if the
    step is not allowed now or misses what it needs."""
    with engine.begin() as conn:
        lock_row(conn, FOLLOWUP, followup_id)  # a second operator's step waits, then is judged
        row = conn.execute(sa.select(FOLLOWUP).where(FOLLOWUP.c.id == followup_id)).first()
        if row is None:
            raise KeyError(followup_id)
        after = next_state(row.state, action, finding if action == "verified" else row.finding)
        values: dict[str, Any] = {"state": after.value}
        if action in _STAMP:
            values[_STAMP[action]] = now
        text = note
        if action == "assign":
            if not assignee:
                raise FollowupError("followup.err_assignee")
            values["assignee"] = assignee
            text = noted(note, assignee=assignee)
        elif action == "attempt":
            if result not in ATTEMPT_RESULTS:
                raise FollowupError("followup.err_result")
            values["attempts"] = row.attempts + 1
            text = noted(note, result=result)
        elif action == "verified":
            if finding not in set(Finding):
                raise FollowupError("followup.err_finding")
            values["finding"] = finding
            text = noted(note, finding=finding)
        elif action == "rectify":
            if not note.strip():
                raise FollowupError("followup.err_plan")
            values["rectify_plan"] = note[:1000]
            values["rectify_due"] = rectify_due(
                now,
                tz or ZoneInfo("Asia/Shanghai"),
                _settings(conn, row.hall),
                is_workday or (lambda _d: True),
                due,
            )
            text = noted(note, due=aware_utc(values["rectify_due"]).isoformat())
        elif action == "closed":
            if not note.strip() or told_how not in TOLD_HOW:
                raise FollowupError("followup.err_close")
            values["outcome"], values["told_how"] = note[:1000], told_how
            text = noted(note, told_how=told_how)
        conn.execute(sa.update(FOLLOWUP).where(FOLLOWUP.c.id == followup_id).values(**values))
        _log(conn, followup_id, now, action, actor, text)
        if after in DONE:
            erase_contact(conn, followup_id, now)  # rule PRIV-1: the call is done
    return followup(engine, followup_id)


def _settings(conn: Connection, hall: str) -> RatingSettings:
    from hub.ratings.store import load_settings

    return load_settings(conn, hall)


def reveal_contact(engine: Engine, followup_id: int, actor: str, now: datetime) -> str:
    """The citizen's number, opened to make the call (logged: who and when, never the number).

    KeyError if no such task; FollowupError when there is no number (none left, or erased)
    or what opens is not a phone number.
    Opening needs the hub's contact key (hub.contact_key.ContactKeyError otherwise).
    """
    from hub.contact_key import reveal_phone
    from models.contact import ContactError

    with engine.begin() as conn:
        row = conn.execute(
            sa.select(FOLLOWUP.c.contact, FOLLOWUP.c.state).where(FOLLOWUP.c.id == followup_id)
        ).first()
        if row is None:
            raise KeyError(followup_id)
        if not row.contact:
            raise FollowupError("followup.err_no_number")
        try:
            phone = reveal_phone(row.contact)
        except ContactError:  # forged, garbled, or sealed with another hall's key
            raise FollowupError("followup.err_bad_number") from None
        _log(conn, followup_id, now, "reveal", actor, noted("", opened="phone"))
    return phone


def case_of(engine: Engine, rating_id: int) -> str | None:
    """The case number (办件编号) the rated service carried, when the window's system gave one
    (RATE-1)."""
    with engine.connect() as conn:
        q = sa.select(RATING.c.case_no).where(RATING.c.id == rating_id)
        return conn.execute(q).scalar()


def followup(engine: Engine, followup_id: int) -> dict[str, Any]:
    """A task with its audit log (the sealed number is never part of it)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(FOLLOWUP).where(FOLLOWUP.c.id == followup_id)).first()
        if row is None:
            raise KeyError(followup_id)
        log = conn.execute(
            sa.select(LOG).where(LOG.c.followup_id == followup_id).order_by(LOG.c.id)
        ).all()
    out = public(dict(row._mapping))
    out["log"] = [_aware(dict(r._mapping)) for r in log]
    return out


def public(row: dict[str, Any]) -> dict[str, Any]:
    """A follow-up row as shown: times aware, the sealed number replaced by whether there is one."""
    out = _aware(row)
    out["has_contact"] = bool(out.pop("contact", None))
    return out


def _aware(row: dict[str, Any]) -> dict[str, Any]:
    return {k: aware_utc(v) if isinstance(v, datetime) else v for k, v in row.items()}


def check_overdue(
    engine: Engine,
    now: datetime,
    halls: Sequence[str] | None = None,
    zones: dict[str, ZoneInfo] | None = None,
) -> int:
    """Raise an alert for each missed deadline not alerted yet (rule RATE-3); returns new ones.
    `zones` gives each hall's time zone for the words (default Asia/Shanghai)."""
    zones = zones or {}
    q = sa.select(FOLLOWUP).where(FOLLOWUP.c.state.not_in([s.value for s in DONE]))
    if halls is not None:
        q = q.where(FOLLOWUP.c.hall.in_(list(halls)))
    new = 0
    with engine.begin() as conn:
        for r in conn.execute(q).all():
            dues = {
                "contact_overdue": aware_utc(r.contact_due),
                "rectify_overdue": aware_utc(r.rectify_due),
                "close_overdue": aware_utc(r.close_due),
            }
            kinds = overdue(
                r.state,
                dues["contact_overdue"],
                dues["close_overdue"],
                dues["rectify_overdue"],
                r.contacted_at,
                now,
            )
            for kind in kinds:
                due = dues[kind]
                assert due is not None
                local = due.astimezone(zones.get(r.hall, ZoneInfo("Asia/Shanghai")))
                new += raise_alert(
                    conn,
                    hall=r.hall,
                    kind=kind,
                    rule="RATE-3",
                    ref=f"followup:{r.id}",
                    window=r.window,
                    staff_id=r.staff_id,
                    text=f"{r.window} {r.ticket} 差评回访{OVERDUE_WORDS[kind]}"
                    f"（期限 {local:%m-%d %H:%M}）",
                    now=now,
                )
    return new


OVERDUE_WORDS = {
    "contact_overdue": "未在当日联系群众",
    "rectify_overdue": "整改超期",
    "close_overdue": "未按期办结",
}
