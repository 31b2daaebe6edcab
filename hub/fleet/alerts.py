"""The alert desk: one alert per incident, raised by any area, de-duplicated and re-opened
rather than repeated; acknowledged and resolved by an operator with a comment, each step noted.

An incident is keyed by (hall, subject, kind): the subject is a device, seat, window or area
(`duty`), the kind says what happened (`offline`, `POST-2@<start>`). Words: the catalogue key
`words` with `word_values` (device alerts are worded by their kind).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, func, select

from hub.fleet.tables import Alert, AlertNote
from hub.problems import InvalidProblem, NotFoundProblem, Problem

logger = logging.getLogger(__name__)
REOPEN_WITHIN = timedelta(hours=6)
SEVERITIES = ("info", "warning", "error", "critical")


class Outcome(StrEnum):
    """What raising an alert did."""

    NEW = "new"
    AGAIN = "again"  # the same incident, still open: counted, recipients added
    REOPENED = "reopened"  # resolved not long ago: open again, counted


def on_raise(
    open_now: bool, resolved_at: datetime | None, now: datetime, within: timedelta
) -> Outcome:
    """Whether a raised condition is a new incident, the open one again, or a re-opening."""
    if open_now:
        return Outcome.AGAIN
    if resolved_at is not None and now - resolved_at <= within:
        return Outcome.REOPENED
    return Outcome.NEW


@dataclass(frozen=True, slots=True)
class Raised:
    """The alert an incident is on, and what raising it did."""

    alert_id: int
    outcome: Outcome


def _latest(session: Session, hall: str, subject: str, kind: str) -> Alert | None:
    """The newest alert of this incident (open or not)."""
    return session.exec(
        select(Alert)
        .where(Alert.hall == hall, Alert.device == subject, Alert.kind == kind)
        .order_by(col(Alert.id).desc())
        .limit(1)
    ).first()


def note(
    session: Session, alert_id: int, actor: str, action: str, comment: str, now: datetime
) -> None:
    """Record a step taken on an alert (acknowledge, resolve, reopen, auto_resolve)."""
    session.add(
        AlertNote(alert_id=alert_id, at=now, actor=actor[:64], action=action, comment=comment[:500])
    )


def raise_alert(
    session: Session,
    *,
    hall: str,
    subject: str,
    kind: str,
    now: datetime,
    source: str = "fleet",
    severity: str = "warning",
    message: str = "",
    words: str | None = None,
    values: Mapping[str, Any] | None = None,
    rule: str | None = None,
    window: str | None = None,
    seat: str | None = None,
    staff_id: str | None = None,
    recipients: Iterable[str] = ("operator",),
    reopen_within: timedelta = REOPEN_WITHIN,
) -> Raised:
    """Raise an incident in `session`'s transaction: new, the open one again, or re-opened."""
    latest = _latest(session, hall, subject, kind)
    is_open = latest is not None and latest.state == "open"
    outcome = on_raise(is_open, latest.resolved_at if latest else None, now, reopen_within)
    wanted = list(dict.fromkeys(recipients))
    if outcome is Outcome.NEW or latest is None:
        alert = Alert(
            hall=hall,
            device=subject,
            kind=kind,
            severity=severity,
            message=message[:500],
            state="open",
            opened_at=now,
            last_at=now,
            source=source,
            rule=rule,
            window=window,
            seat=seat,
            staff_id=staff_id,
            words=words,
            word_values=dict(values) if values else None,
            recipients=wanted,
        )
        session.add(alert)
        session.flush()
        logger.warning("alert %s/%s %s opened (%s)", hall, subject, kind, source)
        assert alert.id is not None
        return Raised(alert.id, Outcome.NEW)
    assert latest.id is not None
    latest.occurrences += 1
    latest.last_at = now
    latest.recipients = list(dict.fromkeys([*(latest.recipients or []), *wanted]))
    if values:
        latest.word_values = dict(values)
    if message:
        latest.message = message[:500]
    if outcome is Outcome.REOPENED:
        latest.state, latest.resolved_at, latest.resolved_by = "open", None, None
        latest.resolve_comment = None
        latest.ack_at, latest.ack_by, latest.ack_comment = None, None, None
        latest.reopened += 1
        latest.opened_at = now
        note(session, latest.id, "hub", "reopen", "", now)
        logger.warning("alert %s/%s %s re-opened", hall, subject, kind)
    session.add(latest)
    return Raised(latest.id, outcome)


def is_open(session: Session, *, hall: str, subject: str, kind: str) -> bool:
    """Whether this incident has an open alert now (a standing condition raised once)."""
    latest = _latest(session, hall, subject, kind)
    return latest is not None and latest.state == "open"


def clear_alert(session: Session, *, hall: str, subject: str, kind: str, now: datetime) -> bool:
    """The condition is gone: resolve its open alert automatically; True if there was one."""
    latest = _latest(session, hall, subject, kind)
    if latest is None or latest.state != "open":
        return False
    auto_resolve(session, latest, now)
    return True


def auto_resolve(session: Session, alert: Alert, now: datetime) -> None:
    """Resolve an alert whose condition cleared (by the hub, noted)."""
    alert.state, alert.resolved_at, alert.resolved_by = "resolved", now, "auto"
    session.add(alert)
    if alert.id is not None:
        note(session, alert.id, "auto", "auto_resolve", "", now)


def _get(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFoundProblem("alert.not_found", id=alert_id)
    return alert


def _comment(comment: str) -> str:
    text = comment.strip()
    if not text:
        raise InvalidProblem("alert.comment_required", field="comment")
    return text[:500]


def acknowledge(
    session: Session, alert_id: int, *, actor: str, comment: str, now: datetime
) -> Alert:
    """An operator has seen the alert and says what is being done (a comment is required)."""
    alert = _get(session, alert_id)
    text = _comment(comment)
    if alert.state != "open":
        raise Problem("alert.already_resolved")
    alert.ack_at, alert.ack_by, alert.ack_comment = now, actor[:64], text
    session.add(alert)
    note(session, alert_id, actor, "acknowledge", text, now)
    return alert


def resolve(session: Session, alert_id: int, *, actor: str, comment: str, now: datetime) -> Alert:
    """An operator closes the alert, saying how (a comment is required)."""
    alert = _get(session, alert_id)
    text = _comment(comment)
    if alert.state != "open":
        raise Problem("alert.already_resolved")
    alert.state, alert.resolved_at, alert.resolved_by = "resolved", now, actor[:64]
    alert.resolve_comment = text
    session.add(alert)
    note(session, alert_id, actor, "resolve", text, now)
    return alert


def notes(session: Session, alert_id: int) -> list[AlertNote]:
    """The steps taken on an alert, oldest first."""
    return list(
        session.exec(
            select(AlertNote).where(AlertNote.alert_id == alert_id).order_by(col(AlertNote.id))
        ).all()
    )


def state_of(alert: Alert) -> str:
    """open, acknowledged or resolved."""
    if alert.state != "open":
        return "resolved"
    return "acknowledged" if alert.ack_at is not None else "open"


def feed(
    session: Session,
    *,
    hall: str | None = None,
    state: str = "active",
    source: str | None = None,
    severity: str | None = None,
    limit: int = 200,
) -> list[Alert]:
    """Alerts newest first; state: active (open or acknowledged), open, acknowledged,
    resolved or all."""
    q = select(Alert)
    if hall:
        q = q.where(Alert.hall == hall)
    if state in ("active", "open", "acknowledged"):
        q = q.where(Alert.state == "open")
    if state == "open":
        q = q.where(col(Alert.ack_at).is_(None))
    elif state == "acknowledged":
        q = q.where(col(Alert.ack_at).is_not(None))
    elif state == "resolved":
        q = q.where(Alert.state == "resolved")
    if source:
        q = q.where(Alert.source == source)
    if severity:
        q = q.where(Alert.severity == severity)
    last = func.coalesce(col(Alert.last_at), col(Alert.opened_at))
    return list(session.exec(q.order_by(last.desc(), col(Alert.id).desc()).limit(limit)).all())


def counts(session: Session, hall: str | None = None) -> dict[str, Counter[str]]:
    """Active alerts counted by state, source and severity (for filters and the badge)."""
    q = select(Alert.source, Alert.severity, Alert.ack_at).where(Alert.state == "open")
    if hall:
        q = q.where(Alert.hall == hall)
    out: dict[str, Counter[str]] = {"state": Counter(), "source": Counter(), "severity": Counter()}
    for source, severity, ack_at in session.exec(q).all():
        out["state"]["acknowledged" if ack_at is not None else "open"] += 1
        out["source"][source] += 1
        out["severity"][severity] += 1
    return out


def unacknowledged(session: Session, hall: str | None = None) -> int:
    """How many alerts nobody has acknowledged yet (the navigation's badge)."""
    q = (
        select(func.count())
        .select_from(Alert)
        .where(Alert.state == "open", col(Alert.ack_at).is_(None))
    )
    if hall:
        q = q.where(Alert.hall == hall)
    return int(session.exec(q).one())
