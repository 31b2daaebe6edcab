"""Attendance workflow on the hub: leave and its two approvals, corrections, substitutes, months.

Every change is audited (who, when, what, why) and re-judges the staff-days it touches at once.
Closed months are frozen (rule ATT-8): changes to them are refused until reopened.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hub.attendance.engine import LeaveKind
from hub.attendance.projector import AttendanceProjector, month_range
from hub.attendance.store import STAFF, aware, closed_months, month_key
from hub.attendance.tables import AttAudit, AttCorrection, AttLeave, AttMonth, AttSubstitute

logger = logging.getLogger(__name__)

LEAVE = AttLeave.__table__  # type: ignore[attr-defined]
CORRECTION = AttCorrection.__table__  # type: ignore[attr-defined]
SUBSTITUTE = AttSubstitute.__table__  # type: ignore[attr-defined]
MONTH = AttMonth.__table__  # type: ignore[attr-defined]
AUDIT = AttAudit.__table__  # type: ignore[attr-defined]
Stage = Literal["department", "office"]


class WorkflowError(ValueError):
    """The rules refuse this change; the message says which rule and why."""


class NotFound(WorkflowError):
    """No such leave, correction or month."""


def utc_now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


def _new_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _aware(at: datetime, what: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise WorkflowError(f"{what} must carry its UTC offset")
    return at.astimezone(UTC)


class AttendanceWorkflow:
    """The operator-facing changes to attendance facts, each audited and re-judged."""

    def __init__(
        self,
        engine: Engine,
        projector: AttendanceProjector,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Work on `engine`; `projector` re-judges touched days; `clock` stamps the audit."""
        self.engine = engine
        self.projector = projector
        self.clock = clock

    # -- audit -------------------------------------------------------------------------------
    def _audit(
        self,
        conn: Connection,
        actor: str,
        action: str,
        entity: str,
        entity_id: Any,
        detail: dict[str, Any],
        why: str = "",
    ) -> None:
        if not actor:
            raise WorkflowError("every change needs the actor who makes it")
        conn.execute(
            sa.insert(AUDIT).values(
                at=self.clock(),
                actor=actor,
                action=action,
                entity=entity,
                entity_id=str(entity_id),
                detail=json.dumps(detail, default=str, ensure_ascii=False, sort_keys=True),
                why=why,
            )
        )

    def audit_log(
        self, entity: str | None = None, entity_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Audit entries, oldest first, optionally for one entity."""
        q = sa.select(AUDIT).order_by(AUDIT.c.id)
        if entity is not None:
            q = q.where(AUDIT.c.entity == entity)
        if entity_id is not None:
            q = q.where(AUDIT.c.entity_id == entity_id)
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(q).mappings()]
        for r in rows:
            r["at"] = aware(r["at"])
            r["detail"] = json.loads(r["detail"])
        return rows

    # -- days touched --------------------------------------------------------------------------
    def _days(self, start: datetime, end: datetime) -> list[date]:
        d0, d1 = self.projector.judge.local_day(start), self.projector.judge.local_day(end)
        return [d0 + timedelta(days=i) for i in range((d1 - d0).days + 1)]

    def _open_or_fail(self, conn: Connection, days: list[date]) -> None:
        frozen = closed_months(conn) & {month_key(d) for d in days}
        if frozen:
            raise WorkflowError(f"month {min(frozen)} is closed (rule ATT-8); reopen it first")

    def _rejudge(self, conn: Connection, staff_id: str, days: list[date]) -> None:
        self.projector.rejudge_keys(conn, [(staff_id, d) for d in days])

    # -- leave (rule ATT-5) --------------------------------------------------------------------
    def request_leave(
        self,
        *,
        actor: str,
        staff_id: str,
        kind: str,
        start: datetime,
        end: datetime,
        reason: str = "",
        extends_id: int | None = None,
    ) -> int:
        """File a leave request (pending until both approvals); an extension names its leave."""
        try:
            kind = LeaveKind(kind).value
        except ValueError:
            kinds = ", ".join(k.value for k in LeaveKind)
            raise WorkflowError(f"unknown leave kind {kind!r}; kinds: {kinds}") from None
        start, end = _aware(start, "start"), _aware(end, "end")
        if end <= start:
            raise WorkflowError("leave must end after it starts")
        with self.engine.begin() as conn:
            if extends_id is not None:  # rule ATT-5: an extension needs approval too
                base = self._leave(conn, extends_id)
                if base["staff_id"] != staff_id or base["status"] != "approved":
                    raise WorkflowError(
                        f"leave {extends_id} is not an approved leave of "
                        f"{staff_id}; only that can be extended"
                    )
            self._open_or_fail(conn, self._days(start, end))
            values = {
                "staff_id": staff_id,
                "kind": kind,
                "start": start,
                "end": end,
                "reason": reason,
                "status": "pending",
                "extends_id": extends_id,
                "requested_by": actor,
                "requested_at": self.clock(),
            }
            leave_id = _new_id(conn.execute(sa.insert(LEAVE).values(**values)))
            self._audit(conn, actor, "request", "leave", leave_id, values, reason)
        return leave_id

    def _leave(self, conn: Connection, leave_id: int) -> dict[str, Any]:
        row = conn.execute(sa.select(LEAVE).where(LEAVE.c.id == leave_id)).mappings().first()
        if row is None:
            raise NotFound(f"no leave {leave_id}")
        out = dict(row)
        out["start"], out["end"] = aware(out["start"]), aware(out["end"])
        return out

    def get_leave(self, leave_id: int) -> dict[str, Any]:
        """One leave request as stored."""
        with self.engine.connect() as conn:
            return self._leave(conn, leave_id)

    def list_leaves(self, staff_id: str | None = None) -> list[dict[str, Any]]:
        """Leave requests, newest first."""
        q = sa.select(LEAVE.c.id).order_by(LEAVE.c.id.desc())
        if staff_id is not None:
            q = q.where(LEAVE.c.staff_id == staff_id)
        with self.engine.connect() as conn:
            return [self._leave(conn, i) for i in conn.execute(q).scalars()]

    def decide_leave(
        self, *, actor: str, leave_id: int, stage: Stage, approve: bool, why: str = ""
    ) -> dict[str, Any]:
        """The department head, then the supervision office (督查考核科), approve or refuse."""
        with self.engine.begin() as conn:
            lv = self._leave(conn, leave_id)
            expected = {"department": "pending", "office": "dept_approved"}[stage]
            if lv["status"] != expected:
                raise WorkflowError(
                    f"leave {leave_id} is {lv['status']}; the {stage} decides only a leave that "
                    f"is {expected} (rule ATT-5: department head first, then 督查考核科)"
                )
            days = self._days(lv["start"], lv["end"])
            self._open_or_fail(conn, days)
            now = self.clock()
            if not approve:
                status = "refused"  # rule ATT-6: leave refused, not at work, is 旷工
            elif stage == "department":
                status = "dept_approved"
            else:
                self._check_substitute(conn, lv)
                status = "approved"
            col = "dept" if stage == "department" else "office"
            conn.execute(
                sa.update(LEAVE)
                .where(LEAVE.c.id == leave_id)
                .values(status=status, **{f"{col}_by": actor, f"{col}_at": now})
            )
            self._audit(
                conn,
                actor,
                "approve" if approve else "refuse",
                "leave",
                leave_id,
                {"stage": stage, "status": status},
                why,
            )
            if status == "approved":
                self._rejudge(conn, lv["staff_id"], days)
            return self._leave(conn, leave_id)

    def revoke_leave(self, *, actor: str, leave_id: int, why: str) -> dict[str, Any]:
        """Withdraw an approved leave, e.g. obtained by deceit (rule ATT-6); needs a reason."""
        if not why.strip():
            raise WorkflowError("revoking leave needs a reason")
        with self.engine.begin() as conn:
            lv = self._leave(conn, leave_id)
            days = self._days(lv["start"], lv["end"])
            self._open_or_fail(conn, days)
            conn.execute(sa.update(LEAVE).where(LEAVE.c.id == leave_id).values(status="revoked"))
            self._audit(
                conn,
                actor,
                "revoke",
                "leave",
                leave_id,
                {"was": lv["status"], "status": "revoked"},
                why,
            )
            self._rejudge(conn, lv["staff_id"], days)
            return self._leave(conn, leave_id)

    def _check_substitute(self, conn: Connection, lv: dict[str, Any]) -> None:
        """Rule ATT-7: a sole staff member, or a second one of a window, needs a substitute."""
        window = conn.execute(
            sa.select(STAFF.c.window).where(STAFF.c.staff_id == lv["staff_id"])
        ).scalar()
        if not window:
            return
        mates = list(
            conn.execute(
                sa.select(STAFF.c.staff_id).where(
                    STAFF.c.window == window,
                    STAFF.c.active.is_(True),
                    STAFF.c.staff_id != lv["staff_id"],
                )
            ).scalars()
        )
        others_away = (
            bool(mates)
            and conn.execute(
                sa.select(sa.func.count()).where(
                    LEAVE.c.staff_id.in_(mates),
                    LEAVE.c.status == "approved",
                    LEAVE.c.start < lv["end"],
                    LEAVE.c.end > lv["start"],
                )
            ).scalar_one()
            > 0
        )
        if mates and not others_away:
            return
        covered = conn.execute(
            sa.select(sa.func.count()).where(
                SUBSTITUTE.c.window == window,
                SUBSTITUTE.c.staff_id == lv["staff_id"],
                SUBSTITUTE.c.start <= lv["start"],
                SUBSTITUTE.c.end >= lv["end"],
            )
        ).scalar_one()
        if not covered:
            who = "the only staff of" if not mates else "a second staff member away from"
            raise WorkflowError(
                f"{lv['staff_id']} is {who} window {window}: a substitute (替岗) must be on "
                "post for the whole leave before it is approved (rule ATT-7)"
            )

    # -- substitutes (rule ATT-7) --------------------------------------------------------------
    def add_substitute(
        self,
        *,
        actor: str,
        window: str,
        staff_id: str,
        substitute_id: str,
        start: datetime,
        end: datetime,
        leave_id: int | None = None,
        sent_by_unit: bool = False,
        filed_at: datetime | None = None,
        why: str = "",
    ) -> int:
        """Record a substitute on post at `window` for `staff_id` from `start` to `end`."""
        start, end = _aware(start, "start"), _aware(end, "end")
        if end <= start:
            raise WorkflowError("a substitute's time must end after it starts")
        if substitute_id == staff_id:
            raise WorkflowError("a staff member cannot substitute for themselves")
        if sent_by_unit and (filed_at is None or _aware(filed_at, "filed_at") > start):
            raise WorkflowError(
                "a substitute sent by the staff member's own unit must be filed "
                "with 督查考核科 in advance (rule ATT-7)"
            )
        values = {
            "window": window,
            "staff_id": staff_id,
            "substitute_id": substitute_id,
            "start": start,
            "end": end,
            "leave_id": leave_id,
            "sent_by_unit": sent_by_unit,
            "filed_at": _aware(filed_at, "filed_at") if filed_at else None,
            "created_by": actor,
            "created_at": self.clock(),
        }
        with self.engine.begin() as conn:
            sub_id = _new_id(conn.execute(sa.insert(SUBSTITUTE).values(**values)))
            self._audit(conn, actor, "add", "substitute", sub_id, values, why)
        return sub_id

    def list_substitutes(self, window: str | None = None) -> list[dict[str, Any]]:
        """Substitutes recorded, newest first."""
        q = sa.select(SUBSTITUTE).order_by(SUBSTITUTE.c.id.desc())
        if window is not None:
            q = q.where(SUBSTITUTE.c.window == window)
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(q).mappings()]
        for r in rows:
            for k in ("start", "end", "filed_at", "created_at"):
                r[k] = aware(r[k]) if r[k] else None
        return rows

    # -- corrections (补卡, rule ATT-6) ----------------------------------------------------------
    def add_correction(
        self,
        *,
        actor: str,
        staff_id: str,
        at: datetime,
        reason: str,
        approver: str,
        checkpoint: str | None = None,
    ) -> int:
        """Enter an approved correction: it counts as a punch and is shown as corrected."""
        at = _aware(at, "at")
        if not reason.strip() or not approver.strip():
            raise WorkflowError("a correction needs a reason and an approver (rule ATT-6)")
        names = self.projector.policy.checkpoint_names()
        if checkpoint is not None and checkpoint not in names:
            raise WorkflowError(f"no checkpoint {checkpoint!r}; checkpoints: {', '.join(names)}")
        with self.engine.begin() as conn:
            days = self._days(at, at)
            self._open_or_fail(conn, days)
            values = {
                "staff_id": staff_id,
                "checkpoint": checkpoint,
                "at": at,
                "reason": reason,
                "approver": approver,
                "entered_by": actor,
                "entered_at": self.clock(),
            }
            fix_id = _new_id(conn.execute(sa.insert(CORRECTION).values(**values)))
            self._audit(conn, actor, "add", "correction", fix_id, values, reason)
            self._rejudge(conn, staff_id, days)
        return fix_id

    def revoke_correction(self, *, actor: str, correction_id: int, why: str) -> None:
        """Withdraw a correction entered by mistake; needs a reason."""
        if not why.strip():
            raise WorkflowError("revoking a correction needs a reason")
        with self.engine.begin() as conn:
            row = (
                conn.execute(sa.select(CORRECTION).where(CORRECTION.c.id == correction_id))
                .mappings()
                .first()
            )
            if row is None:
                raise NotFound(f"no correction {correction_id}")
            days = self._days(aware(row["at"]), aware(row["at"]))
            self._open_or_fail(conn, days)
            conn.execute(
                sa.update(CORRECTION).where(CORRECTION.c.id == correction_id).values(revoked=True)
            )
            self._audit(conn, actor, "revoke", "correction", correction_id, {"revoked": True}, why)
            self._rejudge(conn, row["staff_id"], days)

    # -- months (rule ATT-8) -------------------------------------------------------------------
    def month_closed(self, month: str) -> bool:
        """True when the month is closed."""
        month_range(month)
        with self.engine.connect() as conn:
            return month in closed_months(conn)

    def close_month(self, *, actor: str, month: str, why: str = "") -> int:
        """Judge the whole month from its facts, store it, and freeze it; returns rows stored."""
        first, last = month_range(month)
        with self.engine.begin() as conn:
            if month in closed_months(conn):
                raise WorkflowError(f"month {month} is already closed")
            records = self.projector.recompute(conn, first, last)
            self._set_month(conn, actor, month, closed=True)
            self._audit(conn, actor, "close", "month", month, {"days": len(records)}, why)
        return len(records)

    def reopen_month(self, *, actor: str, month: str, why: str) -> int:
        """Reopen a closed month (audited, needs a reason) and re-judge it from its facts."""
        first, last = month_range(month)
        if not why.strip():
            raise WorkflowError("reopening a month needs a reason")
        with self.engine.begin() as conn:
            if month not in closed_months(conn):
                raise WorkflowError(f"month {month} is not closed")
            self._set_month(conn, actor, month, closed=False)
            records = self.projector.recompute(conn, first, last)
            self._audit(conn, actor, "reopen", "month", month, {"days": len(records)}, why)
        return len(records)

    def _set_month(self, conn: Connection, actor: str, month: str, *, closed: bool) -> None:
        values = {"closed": closed, "changed_by": actor, "changed_at": self.clock()}
        done = conn.execute(sa.update(MONTH).where(MONTH.c.month == month).values(**values))
        if not done.rowcount:
            conn.execute(sa.insert(MONTH).values(month=month, **values))
