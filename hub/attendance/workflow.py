"""Attendance workflow on the hub: leave and its two approvals, corrections, substitutes, months.

Every change is audited (who, when, what, why) and re-judges the staff-days it touches at once.
Closed months are frozen (rule ATT-8): changes to them are refused until reopened.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.attendance.desk import (
    SUBSTITUTE,
    NotFound,
    WorkflowDesk,
    WorkflowError,
    aware_in,
    new_id,
    utc_now,
)
from hub.attendance.engine import LeaveKind
from hub.attendance.store import STAFF, aware
from hub.attendance.tables import AttCorrection, AttLeave

logger = logging.getLogger(__name__)

LEAVE = AttLeave.__table__  # type: ignore[attr-defined]
CORRECTION = AttCorrection.__table__  # type: ignore[attr-defined]
Stage = Literal["department", "office"]
__all__ = ["AttendanceWorkflow", "NotFound", "WorkflowError", "utc_now"]


class AttendanceWorkflow(WorkflowDesk):
    """The operator-facing changes to attendance facts, each audited and re-judged."""

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
        start, end = aware_in(start, "start"), aware_in(end, "end")
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
            leave_id = new_id(conn.execute(sa.insert(LEAVE).values(**values)))
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
        at = aware_in(at, "at")
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
            fix_id = new_id(conn.execute(sa.insert(CORRECTION).values(**values)))
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
