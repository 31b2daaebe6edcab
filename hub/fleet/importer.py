"""A bridge into the alert desk for areas that still keep alerts in a table of their own
(ratings' `rating_alert`, the queue's `queue_alert`, complaints' `complaint_alert`): each of
their rows becomes one incident once, so the operator sees, acknowledges and resolves every
alert in one place.

An area that raises through `hub.fleet.alerts.raise_alert` itself needs no bridge.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.db import session_scope
from hub.fleet.alerts import raise_alert
from hub.fleet.tables import Alert

logger = logging.getLogger(__name__)
RECENT = 200
"""How many of an area's newest alert rows each pass looks at."""


def _area_tables() -> list[tuple[str, Any]]:
    out = []
    try:
        from hub.ratings.tables import RatingAlertRow

        out.append(("ratings", RatingAlertRow.__table__))  # type: ignore[attr-defined]
    except ImportError:
        pass
    try:
        from hub.queue.tables import QueueAlertRow

        out.append(("queue", QueueAlertRow.__table__))  # type: ignore[attr-defined]
    except ImportError:
        pass
    try:
        from hub.complaints.tables import ComplaintAlertRow

        out.append(("complaints", ComplaintAlertRow.__table__))  # type: ignore[attr-defined]
    except ImportError:
        pass
    return out


def import_area_alerts(engine: Engine, now: datetime) -> int:
    """Raise each new row of the areas' own alert tables on the desk once; how many were new."""
    new = 0
    inspector = sa.inspect(engine)
    for source, table in _area_tables():
        if not inspector.has_table(table.name):
            continue
        with engine.connect() as conn:
            rows = conn.execute(sa.select(table).order_by(table.c.id.desc()).limit(RECENT))
            found = [dict(r._mapping) for r in rows]
        if not found:
            continue
        with session_scope(engine) as session:
            for row in reversed(found):
                new += _import_one(session, source, row, now)
    return new


def _import_one(session: Session, source: str, row: dict[str, Any], now: datetime) -> int:
    subject, kind = str(row["ref"])[:63], f"{source}:{row['kind']}"[:64]
    seen = session.exec(
        select(Alert.id).where(
            Alert.hall == row["hall"], Alert.device == subject, Alert.kind == kind
        )
    ).first()
    if seen is not None:
        return 0
    raise_alert(
        session,
        hall=row["hall"],
        subject=subject,
        kind=kind,
        now=row.get("at") or now,
        source=source,
        message=row.get("text") or "",
        rule=row.get("rule"),
        window=row.get("window"),
        staff_id=row.get("staff_id"),
    )
    return 1
