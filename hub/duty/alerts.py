"""The duty area's alerts, raised on the hub's alert desk (hub.fleet.alerts: one alert per
incident, worded from the catalogue in the reader's language, acknowledged and resolved by an
operator). A condition that lasts is raised once; the next rounds leave it as it is."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from hub.dbtypes import aware
from hub.fleet import alerts as desk
from hub.fleet.tables import Alert

logger = logging.getLogger(__name__)
SOURCE = "duty"


class DutyAlert:
    """The kinds of duty alerts (the subject is the seat, window, check or opening day)."""

    LEDGER_MISMATCH = "ledger_mismatch"  # rule RATE-2: face at the seat is not the holder
    SUBSTITUTE_MISSING = "substitute_missing"  # rule ATT-7
    COVER_MISSING = "cover_missing"  # rule POST-6
    WINDOW_EMPTY = "window_empty"  # rules DUTY-1, POST-5
    CHECK_OVERDUE = "duty_check_overdue"  # rule POST-8
    OPENING_UNACKNOWLEDGED = "opening_unacknowledged"  # rule DEV-1
    CHIEF_LEAVE = "chief_leave_unapproved"  # rule DUTY-2: chief on leave, no stand-in approved


def _open(session: Session, hall: str, subject: str, kind: str) -> Alert | None:
    return session.exec(
        select(Alert).where(
            Alert.hall == hall, Alert.device == subject, Alert.kind == kind, Alert.state == "open"
        )
    ).first()


def raise_alert(
    session: Session,
    *,
    hall: str,
    subject: str,
    kind: str,
    message: str,
    now: datetime,
    words: str | None = None,
    values: Mapping[str, Any] | None = None,
    rule: str | None = None,
    window: str | None = None,
    seat: str | None = None,
    staff_id: str | None = None,
    severity: str = "warning",
    each_time: bool = False,
) -> bool:
    """Raise an incident unless it is open already; True if this call opened (or re-opened) it.

    `message` is the hall's words (zh-CN) for logs and exports; `words` and `values` let the
    feed word it in the reader's language. `each_time`: an event, not a standing condition;
    raised while open, it counts one more occurrence on the open alert."""
    if _open(session, hall, subject, kind) is not None and not each_time:
        return False
    desk.raise_alert(
        session,
        hall=hall,
        subject=subject,
        kind=kind,
        now=now,
        source=SOURCE,
        severity=severity,
        message=message,
        words=words,
        values=values,
        rule=rule,
        window=window,
        seat=seat,
        staff_id=staff_id,
        recipients=("operator", "duty_chief"),
    )
    return True


def last_seen(session: Session, *, hall: str, subject: str, kind: str) -> datetime | None:
    """Rule RATE-2: the device time of the last face this incident was told about, its
    `seen_at` value (an alert raised before it was kept: its last time on the desk; None:
    never raised). Faces are compared with faces, not with the hub's clock: a face that came
    in after a round, or a terminal whose clock lags the hub's, is still a new face."""
    latest = session.exec(
        select(Alert)
        .where(Alert.hall == hall, Alert.device == subject, Alert.kind == kind)
        .order_by(col(Alert.id).desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    seen = (latest.word_values or {}).get("seen_at")
    if isinstance(seen, str):
        return aware(datetime.fromisoformat(seen))
    times = [t for t in (latest.opened_at, latest.last_at, latest.resolved_at) if t is not None]
    return max(aware(t) for t in times) if times else None


def resolve_alert(session: Session, *, hall: str, subject: str, kind: str, now: datetime) -> bool:
    """The condition is gone: resolve its open alert automatically; True if one was open."""
    return desk.clear_alert(session, hall=hall, subject=subject, kind=kind, now=now)
