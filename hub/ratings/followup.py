"""Follow-up of dissatisfied ratings (RATE-3): open, assign, contacted, resolved, audited, each
step logged; overdue tasks raise an alert once; the area's background watcher runs the check.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hub.dbtypes import aware as aware_utc
from hub.ratings.engine import (
    FollowupError,
    FollowupState,
    RatingSettings,
    followup_deadlines,
    overdue,
    step,
)
from hub.ratings.tables import FollowupLogRow, FollowupRow, RatingAlertRow

if TYPE_CHECKING:
    from hub.ratings.projector import RatingProjector

logger = logging.getLogger(__name__)
FOLLOWUP = FollowupRow.__table__  # type: ignore[attr-defined]
LOG = FollowupLogRow.__table__  # type: ignore[attr-defined]
ALERT = RatingAlertRow.__table__  # type: ignore[attr-defined]
_STAMP = {
    "assign": "assigned_at",
    "contacted": "contacted_at",
    "resolved": "resolved_at",
    "audited": "audited_at",
}


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
    exists = conn.execute(
        sa.select(ALERT.c.id).where(ALERT.c.hall == hall, ALERT.c.kind == kind, ALERT.c.ref == ref)
    ).first()
    if exists:
        return False
    conn.execute(
        sa.insert(ALERT).values(
            hall=hall,
            kind=kind,
            rule=rule,
            ref=ref,
            window=window,
            staff_id=staff_id,
            text=text[:500],
            at=now,
        )
    )
    logger.warning("ratings alert %s %s: %s", hall, kind, text)
    return True


def open_followup(
    conn: Connection,
    rating: dict[str, Any],
    settings: RatingSettings,
    tz: ZoneInfo,
    is_workday: Callable[[date], bool],
    now: datetime,
) -> int:
    """Open the follow-up task of a dissatisfied rating with its working-day deadlines."""
    contact_due, resolve_due = followup_deadlines(rating["rated_at"], tz, settings, is_workday)
    result = conn.execute(
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
            contact_due=contact_due,
            resolve_due=resolve_due,
            outcome="",
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    fid = key[0]
    conn.execute(
        sa.insert(LOG).values(
            followup_id=fid, at=now, action="open", actor="system", note=f"level {rating['level']}"
        )
    )
    return int(fid)


def act(
    engine: Engine,
    followup_id: int,
    action: str,
    actor: str,
    now: datetime,
    *,
    note: str = "",
    assignee: str | None = None,
) -> dict[str, Any]:
    """One audited step (assign, contacted, resolved, audited); KeyError if no such task,
    FollowupError if the step is not allowed now."""
    with engine.begin() as conn:
        row = conn.execute(sa.select(FOLLOWUP).where(FOLLOWUP.c.id == followup_id)).first()
        if row is None:
            raise KeyError(followup_id)
        after = step(row.state, action)
        if action == "assign" and not assignee:
            raise FollowupError("assign needs an assignee")
        values: dict[str, Any] = {"state": after.value, _STAMP[action]: now}
        if assignee:
            values["assignee"] = assignee
        if action == "resolved":
            values["outcome"] = note[:1000]
        conn.execute(sa.update(FOLLOWUP).where(FOLLOWUP.c.id == followup_id).values(**values))
        text = f"{note} (assignee {assignee})".strip() if assignee else note
        conn.execute(
            sa.insert(LOG).values(
                followup_id=followup_id, at=now, action=action, actor=actor, note=text[:1000]
            )
        )
    return followup(engine, followup_id)


def followup(engine: Engine, followup_id: int) -> dict[str, Any]:
    """A task with its audit log."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(FOLLOWUP).where(FOLLOWUP.c.id == followup_id)).first()
        if row is None:
            raise KeyError(followup_id)
        log = conn.execute(
            sa.select(LOG).where(LOG.c.followup_id == followup_id).order_by(LOG.c.id)
        ).all()
    out = _aware(dict(row._mapping))
    out["log"] = [_aware(dict(r._mapping)) for r in log]
    return out


def _aware(row: dict[str, Any]) -> dict[str, Any]:
    return {k: aware_utc(v) if isinstance(v, datetime) else v for k, v in row.items()}


def check_overdue(engine: Engine, now: datetime, halls: Sequence[str] | None = None) -> int:
    """Raise an alert for each missed deadline not alerted yet (rule RATE-3); returns new ones."""
    q = sa.select(FOLLOWUP).where(FOLLOWUP.c.state.in_(("open", "assigned", "contacted")))
    if halls is not None:
        q = q.where(FOLLOWUP.c.hall.in_(list(halls)))
    new = 0
    with engine.begin() as conn:
        for r in conn.execute(q).all():
            for kind in overdue(
                r.state,
                aware_utc(r.contact_due),
                aware_utc(r.resolve_due),
                r.contacted_at,
                r.resolved_at,
                now,
            ):
                due = r.contact_due if kind == "contact_overdue" else r.resolve_due
                new += raise_alert(
                    conn,
                    hall=r.hall,
                    kind=kind,
                    rule="RATE-3",
                    ref=f"followup:{r.id}",
                    window=r.window,
                    staff_id=r.staff_id,
                    text=f"follow-up {r.id} of {r.window} {r.ticket}: {kind.replace('_', ' ')} "
                    f"(due {aware_utc(due).isoformat()})",
                    now=now,
                )
    return new


class RatingWatcher:
    """Background work of the ratings area: queue changes made through the API are shown on
    the rating devices (every `poll_s`), and overdue follow-ups checked (every `overdue_s`)."""

    def __init__(
        self,
        engine: Engine,
        projectors: Sequence[RatingProjector],
        clock: Callable[[], datetime],
        *,
        poll_s: float = 1.0,
        overdue_s: float = 60.0,
    ) -> None:
        self.engine, self.projectors, self.clock = engine, list(projectors), clock
        self.poll_s, self.overdue_s = poll_s, overdue_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> RatingWatcher:
        """Begin in a thread of its own."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ratings-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Finish; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def tick(self, check: bool = True) -> int:
        """One round: sync every hall's queue changes; check overdue tasks when asked."""
        for p in self.projectors:
            p.sync_queue()
        return check_overdue(self.engine, self.clock()) if check else 0

    def _run(self) -> None:
        last_check = float("-inf")
        elapsed = 0.0
        while not self._stop.wait(self.poll_s):
            elapsed += self.poll_s
            check = elapsed - last_check >= self.overdue_s
            try:
                self.tick(check)
            except Exception:  # keep watching; the next round retries
                logger.exception("ratings watcher round failed")
            if check:
                last_check = elapsed
