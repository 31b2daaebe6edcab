"""The duty area's alerts, raised through the hub's alert feed (the fleet `alert` table): at most
one open alert per hall, subject and kind, so a condition that lasts alerts once."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session, select

from hub.fleet.tables import Alert

logger = logging.getLogger(__name__)


class DutyAlert:
    """The kinds of duty alerts (the subject is the seat, window or `duty`)."""

    LEDGER_MISMATCH = "ledger_mismatch"  # rule RATE-2: face at the seat is not the holder
    SUBSTITUTE_MISSING = "substitute_missing"  # rule ATT-7
    COVER_MISSING = "cover_missing"  # rule POST-6
    WINDOW_EMPTY = "window_empty"  # rules DUTY-1, POST-5
    CHECK_OVERDUE = "duty_check_overdue"  # rule POST-8
    OPENING_UNACKNOWLEDGED = "opening_unacknowledged"  # rule DEV-1


def raise_alert(
    session: Session,
    *,
    hall: str,
    subject: str,
    kind: str,
    message: str,
    now: datetime,
    severity: str = "warning",
) -> bool:
    """Open an alert unless one is open for the same hall, subject and kind; True if new."""
    found = session.exec(
        select(Alert).where(
            Alert.hall == hall, Alert.device == subject, Alert.kind == kind, Alert.state == "open"
        )
    ).first()
    if found is not None:
        return False
    session.add(
        Alert(
            hall=hall,
            device=subject,
            kind=kind,
            severity=severity,
            message=message[:500],
            state="open",
            opened_at=now,
        )
    )
    logger.warning("duty alert %s/%s %s: %s", hall, subject, kind, message)
    return True


def resolve_alert(
    session: Session, *, hall: str, subject: str, kind: str, now: datetime, by: str = "duty"
) -> bool:
    """Resolve the open alert of this hall, subject and kind, if any; True if one was open."""
    found = session.exec(
        select(Alert).where(
            Alert.hall == hall, Alert.device == subject, Alert.kind == kind, Alert.state == "open"
        )
    ).first()
    if found is None:
        return False
    found.state, found.resolved_at, found.resolved_by = "resolved", now, by
    session.add(found)
    return True
