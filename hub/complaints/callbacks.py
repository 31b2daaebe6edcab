"""Call-backs (DEV-4) and missed deadlines (DUTY-6) in the database: a citizen whose matter
could not be handled now is called back, the number erased once done (PRIV-1); a missed
complaint or call-back deadline is an alert once (the alert desk picks it up)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hub.complaints.rules import (
    CALLBACK_RESULTS,
    ComplaintError,
    ComplaintInputError,
    ComplaintState,
    overdue,
)
from hub.complaints.store import ALERT, CALLBACK, COMPLAINT, load_settings, shown
from hub.db import insert_alert_once, lock_row
from hub.dbtypes import aware
from hub.workdays import IsWorkday, end_of_workday

logger = logging.getLogger(__name__)


def open_callback(
    engine: Engine,
    hall: str,
    *,
    source: str,
    service: str | None,
    note: str,
    contact: str | None,
    now: datetime,
    tz: ZoneInfo,
    is_workday: IsWorkday,
) -> int:
    """A call-back task for a citizen whose matter could not be handled now (rule DEV-4)."""
    with engine.begin() as conn:
        settings = load_settings(conn, hall)
        due = end_of_workday(now, settings.callback_days, tz, is_workday)
        key = conn.execute(
            sa.insert(CALLBACK).values(
                hall=hall,
                source=source,
                service=service,
                note=note[:300],
                contact=contact,
                state="open",
                opened_at=now,
                due_at=due,
                attempts=0,
                outcome="",
            )
        ).inserted_primary_key
    assert key is not None
    logger.info(
        "call-back %s opened from %s (%s)",
        hall,
        source,
        "with a number" if contact else "no number",
    )
    return int(key[0])


def callback_step(
    engine: Engine,
    callback_id: int,
    actor: str,
    now: datetime,
    *,
    result: str,
    outcome: str = "",
    done: bool = False,
) -> dict[str, Any]:
    """A call made: `result` (reached, no_answer, ...); `done` ends the task and erases the
    number (PRIV-1). A reached citizen ends it too."""
    if result not in CALLBACK_RESULTS:
        raise ComplaintInputError("callback.err_result")
    with engine.begin() as conn:
        lock_row(conn, CALLBACK, callback_id)  # two operators ending it: one call, one outcome
        row = conn.execute(sa.select(CALLBACK).where(CALLBACK.c.id == callback_id)).first()
        if row is None:
            raise KeyError(callback_id)
        if row.state == "done":
            raise ComplaintError("callback.err_done")
        finished = done or result == "reached"
        values: dict[str, Any] = {
            "attempts": row.attempts + 1,
            "result": result,
            "outcome": outcome[:500],
        }
        if finished:
            values.update(state="done", done_at=now, done_by=actor, contact=None)
            if row.contact:
                values["contact_erased_at"] = now
        conn.execute(sa.update(CALLBACK).where(CALLBACK.c.id == callback_id).values(**values))
    return callback(engine, callback_id)


def reveal_callback(engine: Engine, callback_id: int) -> str:
    """The citizen's number of an open call-back, to call it."""
    from hub.contact_key import reveal as open_token

    with engine.connect() as conn:
        contact = conn.execute(
            sa.select(CALLBACK.c.contact).where(CALLBACK.c.id == callback_id)
        ).scalar()
    if not contact:
        raise ComplaintError("callback.err_no_number")
    return open_token(contact)


def callback(engine: Engine, callback_id: int) -> dict[str, Any]:
    """One call-back task (the number shown only as present)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(CALLBACK).where(CALLBACK.c.id == callback_id)).first()
    if row is None:
        raise KeyError(callback_id)
    return shown(dict(row._mapping))


def callbacks(engine: Engine, hall: str, *, open_only: bool = False) -> list[dict[str, Any]]:
    """The hall's call-back tasks, newest first."""
    q = sa.select(CALLBACK).where(CALLBACK.c.hall == hall)
    if open_only:
        q = q.where(CALLBACK.c.state == "open")
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(CALLBACK.c.id.desc()).limit(200)).all()
    return [shown(dict(r._mapping)) for r in rows]


def _raise(
    conn: Connection,
    hall: str,
    kind: str,
    rule: str,
    ref: str,
    window: str | None,
    text: str,
    now: datetime,
) -> bool:
    return insert_alert_once(
        conn, ALERT, hall=hall, kind=kind, ref=ref, text=text, rule=rule, window=window, at=now
    )


OVERDUE_WORDS = {
    "acknowledge_overdue": "投诉未按时受理分办",
    "answer_overdue": "投诉未按期答复",
    "callback_overdue": "群众留言未按时回电",
}


def check_overdue(engine: Engine, now: datetime, zones: dict[str, ZoneInfo] | None = None) -> int:
    """Alert each missed complaint or call-back deadline once (DUTY-6, DEV-4); new ones."""
    zones = zones or {}
    new = 0
    with engine.begin() as conn:
        open_states = [s.value for s in ComplaintState if s not in ("answered", "closed")]
        for r in conn.execute(sa.select(COMPLAINT).where(COMPLAINT.c.state.in_(open_states))):
            ack, ans = aware(r.acknowledge_due), aware(r.answer_due)
            assert ack is not None and ans is not None
            for kind in overdue(r.state, ack, ans, r.assigned_at, now):
                due = ack if kind == "acknowledge_overdue" else ans
                local = due.astimezone(zones.get(r.hall, ZoneInfo("Asia/Shanghai")))
                text = f"{r.ref} {OVERDUE_WORDS[kind]}（期限 {local:%m-%d %H:%M}）"
                new += _raise(
                    conn, r.hall, kind, "DUTY-6", f"complaint:{r.id}", r.window, text, now
                )
        for r in conn.execute(sa.select(CALLBACK).where(CALLBACK.c.state == "open")):
            due = aware(r.due_at)
            assert due is not None
            if now > due:
                local = due.astimezone(zones.get(r.hall, ZoneInfo("Asia/Shanghai")))
                text = (
                    f"回电 #{r.id} {OVERDUE_WORDS['callback_overdue']}（期限 {local:%m-%d %H:%M}）"
                )
                new += _raise(
                    conn, r.hall, "callback_overdue", "DEV-4", f"callback:{r.id}", None, text, now
                )
    return new


def alerts(engine: Engine, hall: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Complaint and call-back alerts, newest first."""
    q = sa.select(ALERT)
    if hall:
        q = q.where(ALERT.c.hall == hall)
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(ALERT.c.id.desc()).limit(limit)).all()
    return [shown(dict(r._mapping)) for r in rows]
