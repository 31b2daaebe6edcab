"""Complaints and call-backs in the database (DUTY-6, DEV-4): taken, stepped, audited, their
contacts sealed and erased (PRIV-1), missed deadlines alerted once. Rules: hub.complaints.rules.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hub.complaints.rules import (
    CHANNELS,
    FINDINGS,
    TOLD_HOW,
    ComplaintError,
    ComplaintInputError,
    ComplaintSettings,
    ComplaintState,
    deadlines,
    next_state,
)
from hub.complaints.tables import (
    CallbackRow,
    ComplaintAlertRow,
    ComplaintLogRow,
    ComplaintRow,
    ComplaintSettingsRow,
)
from hub.db import lock_row
from hub.dbtypes import aware
from hub.workdays import IsWorkday

logger = logging.getLogger(__name__)
COMPLAINT = ComplaintRow.__table__  # type: ignore[attr-defined]
LOG = ComplaintLogRow.__table__  # type: ignore[attr-defined]
CALLBACK = CallbackRow.__table__  # type: ignore[attr-defined]
ALERT = ComplaintAlertRow.__table__  # type: ignore[attr-defined]
SETTINGS = ComplaintSettingsRow.__table__  # type: ignore[attr-defined]
SEALED = ("name", "contact")
"""Columns that hold sealed personal data: never shown, only whether they are there."""


def load_settings(conn: Connection, hall: str) -> ComplaintSettings:
    """The hall's complaint settings (defaults when none were stored)."""
    row = conn.execute(sa.select(SETTINGS.c.settings).where(SETTINGS.c.hall == hall)).first()
    data = row[0] if row else {}
    if isinstance(data, str):
        data = json.loads(data)
    return ComplaintSettings.from_dict(dict(data or {}))


def save_settings(conn: Connection, hall: str, settings: ComplaintSettings, now: datetime) -> None:
    """Store the hall's complaint settings."""
    conn.execute(sa.delete(SETTINGS).where(SETTINGS.c.hall == hall))
    conn.execute(sa.insert(SETTINGS).values(hall=hall, settings=settings.to_dict(), updated_at=now))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _ref(conn: Connection, hall: str, at: datetime, tz: ZoneInfo) -> str:
    """The next reference of the hall's day: TS20261203-0007."""
    day = at.astimezone(tz).strftime("%Y%m%d")
    n = conn.execute(
        sa.select(sa.func.count()).where(
            COMPLAINT.c.hall == hall, COMPLAINT.c.ref.like(f"TS{day}-%")
        )
    ).scalar()
    return f"TS{day}-{int(n or 0) + 1:04d}"


@dataclass(frozen=True, slots=True)
class NewComplaint:
    """What is taken down: the words, and what they concern; the contact already sealed."""

    channel: str
    subject: str
    text: str
    window: str | None = None
    staff_id: str | None = None
    happened_at: datetime | None = None
    name: str | None = None  # sealed
    contact: str | None = None  # sealed


@dataclass(frozen=True, slots=True)
class Taken:
    """A complaint as taken: its id, the reference and (public page) the status token."""

    id: int
    ref: str
    status_token: str | None


def take(
    engine: Engine,
    hall: str,
    new: NewComplaint,
    *,
    actor: str,
    now: datetime,
    tz: ZoneInfo,
    is_workday: IsWorkday,
    with_status_link: bool = False,
) -> Taken:
    """Record a complaint with its deadlines (rule DUTY-6: taken at any time)."""
    if new.channel not in CHANNELS:
        raise ComplaintInputError("complaint.err_channel")
    token = secrets.token_urlsafe(18) if with_status_link else None
    for _ in range(3):  # two desks taking one at the same moment: the next reference
        try:
            with engine.begin() as conn:
                settings = load_settings(conn, hall)
                due = deadlines(now, tz, settings, is_workday)
                ref = _ref(conn, hall, now, tz)
                key = conn.execute(
                    sa.insert(COMPLAINT).values(
                        hall=hall,
                        ref=ref,
                        channel=new.channel,
                        received_at=now,
                        taken_by=None if new.channel == "public_page" else actor,
                        subject=new.subject,
                        text=new.text,
                        happened_at=new.happened_at,
                        window=new.window,
                        staff_id=new.staff_id,
                        name=new.name,
                        contact=new.contact,
                        status_token=_hash(token) if token else None,
                        state=ComplaintState.OPEN.value,
                        acknowledge_due=due.acknowledge_due,
                        answer_due=due.answer_due,
                        answer="",
                    )
                ).inserted_primary_key
                assert key is not None
                cid = int(key[0])
                _log(conn, cid, now, "take", actor, new.channel)
            logger.info("complaint %s %s taken (%s)", hall, ref, new.channel)
            return Taken(cid, ref, token)
        except sa.exc.IntegrityError:
            continue
    raise ComplaintError("complaint.err_busy")


def _log(conn: Connection, cid: int, now: datetime, action: str, actor: str, note: str) -> None:
    conn.execute(
        sa.insert(LOG).values(
            complaint_id=cid, at=now, action=action, actor=actor, note=note[:2000]
        )
    )


def act(
    engine: Engine,
    complaint_id: int,
    action: str,
    actor: str,
    now: datetime,
    *,
    note: str = "",
    assignee: str | None = None,
    finding: str | None = None,
    told_how: str | None = None,
    window: str | None = None,
    staff_id: str | None = None,
) -> dict[str, Any]:
    """One audited step: assign, investigate, answer (the answer, finding and how it was told:
    the contact is erased, PRIV-1), close. KeyError if none; ComplaintError if not now."""
    with engine.begin() as conn:
        lock_row(conn, COMPLAINT, complaint_id)  # a second operator's step waits, then is judged
        row = conn.execute(sa.select(COMPLAINT).where(COMPLAINT.c.id == complaint_id)).first()
        if row is None:
            raise KeyError(complaint_id)
        after = next_state(row.state, action)
        values: dict[str, Any] = {"state": after.value}
        text = note
        if action == "assign":
            if not assignee:
                raise ComplaintInputError("complaint.err_assignee")
            values.update(assignee=assignee, assigned_at=row.assigned_at or now)
            text = f"→ {assignee} {note}".strip()
        elif action == "investigate":
            values["investigating_at"] = row.investigating_at or now
            if window is not None:  # rule DUTY-6: linked to the window and staff concerned
                values["window"] = window or None
            if staff_id is not None:
                values["staff_id"] = staff_id or None
        elif action == "answer":
            if finding not in FINDINGS:
                raise ComplaintInputError("complaint.err_finding")
            if told_how not in TOLD_HOW or not note.strip():
                raise ComplaintInputError("complaint.err_answer")
            if told_how == "status_page" and not row.status_token:
                raise ComplaintInputError("complaint.err_no_status_page")
            values.update(finding=finding, answer=note[:2000], told_how=told_how, answered_at=now)
            values.update(name=None, contact=None)  # rule PRIV-1: told, no longer needed
            if row.name or row.contact:
                values["contact_erased_at"] = now
            text = f"{finding} / {told_how}: {note}"
        elif action == "close":
            values["closed_at"] = now
        conn.execute(sa.update(COMPLAINT).where(COMPLAINT.c.id == complaint_id).values(**values))
        _log(conn, complaint_id, now, action, actor, text)
    return get(engine, complaint_id)


def reveal(engine: Engine, complaint_id: int, actor: str, now: datetime) -> dict[str, str]:
    """The complainant's name and number, opened to answer them (logged, never the values)."""
    from hub.contact_key import reveal as open_token

    with engine.begin() as conn:
        row = conn.execute(
            sa.select(COMPLAINT.c.name, COMPLAINT.c.contact).where(COMPLAINT.c.id == complaint_id)
        ).first()
        if row is None:
            raise KeyError(complaint_id)
        if not row.contact and not row.name:
            raise ComplaintError("complaint.err_no_contact")
        out = {k: open_token(v) for k, v in (("name", row.name), ("phone", row.contact)) if v}
        _log(conn, complaint_id, now, "reveal", actor, "contact opened to answer")
    return out


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """A row as shown: times aware, sealed fields only as present or not, no status token."""
    out = {k: aware(v) if isinstance(v, datetime) else v for k, v in row.items()}
    for k in SEALED:
        out[f"has_{k}"] = bool(out.pop(k, None))
    out["has_status_link"] = bool(out.pop("status_token", None))
    return out


def get(engine: Engine, complaint_id: int) -> dict[str, Any]:
    """A complaint with its audit log (sealed fields shown only as present or not)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(COMPLAINT).where(COMPLAINT.c.id == complaint_id)).first()
        if row is None:
            raise KeyError(complaint_id)
        log = conn.execute(
            sa.select(LOG).where(LOG.c.complaint_id == complaint_id).order_by(LOG.c.id)
        ).all()
    out = shown(dict(row._mapping))
    out["log"] = [shown(dict(r._mapping)) for r in log]
    return out


def listing(
    engine: Engine, hall: str, *, state: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The hall's complaints, newest first."""
    q = sa.select(COMPLAINT).where(COMPLAINT.c.hall == hall)
    if state:
        q = q.where(COMPLAINT.c.state == state)
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(COMPLAINT.c.id.desc()).limit(limit)).all()
    return [shown(dict(r._mapping)) for r in rows]


def public_status(engine: Engine, hall: str, ref: str, token: str) -> dict[str, Any] | None:
    """What the complainant sees on the status page: state and the answer (nothing personal);
    None unless the token is the complaint's (a wrong token and an unknown ref look the same)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                COMPLAINT.c.status_token,
                COMPLAINT.c.state,
                COMPLAINT.c.received_at,
                COMPLAINT.c.answer_due,
                COMPLAINT.c.answer,
                COMPLAINT.c.answered_at,
            ).where(COMPLAINT.c.hall == hall, COMPLAINT.c.ref == ref)
        ).first()
    if (
        row is None
        or not row.status_token
        or not hmac.compare_digest(row.status_token, _hash(token))
    ):
        return None
    answered = row.state in (ComplaintState.ANSWERED, ComplaintState.CLOSED)
    return {
        "ref": ref,
        "state": row.state,
        "received_at": aware(row.received_at),
        "answer_due": aware(row.answer_due),
        "answer": row.answer if answered else "",
        "answered_at": aware(row.answered_at),
    }


def month_range(month: str) -> tuple[date, date]:
    """First and last day of a month like 2026-11."""
    first = date.fromisoformat(f"{month}-01")
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, date.fromordinal(nxt.toordinal() - 1)
