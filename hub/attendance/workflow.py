"""Attendance workflow on the hub: leave and its two approvals, corrections and their review.

Every change is audited (who, when, what, why) and re-judges the staff-days it touches at once.
Closed months are frozen (rule ATT-8): changes to them are refused until reopened. Nobody
approves their own leave or correction; the two stages of a leave are two different accounts
(rules ATT-5, ATT-6). Form values are checked by hub.attendance.checks.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.attendance.checks import (
    DEPARTMENT_ROLES,
    OFFICE_ROLES,
    FieldError,
    Forbidden,
    check_correction,
    check_employed,
    check_known_years,
    check_leave,
    check_not_own,
    check_role,
    check_text,
)
from hub.attendance.desk import (
    LEAVE,
    SUBSTITUTE,
    NotFound,
    WorkflowDesk,
    WorkflowError,
    aware_in,
    new_id,
    utc_now,
)
from hub.attendance.seats import window_mates
from hub.attendance.store import aware, staff_halls
from hub.attendance.tables import AttCorrection
from hub.users.accounts import linked_staff

logger = logging.getLogger(__name__)

CORRECTION = AttCorrection.__table__  # type: ignore[attr-defined]
Stage = Literal["department", "office"]
__all__ = ["AttendanceWorkflow", "FieldError", "Forbidden", "NotFound", "WorkflowError", "utc_now"]


def _why_needed(why: str) -> None:
    check_text(why, "why")
    if not why.strip():
        raise FieldError("this needs a reason", key="att.err.why_needed", field="why")


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
        certificate: str = "",
    ) -> int:
        """File a leave request (pending until both approvals); an extension names its leave."""
        start, end = aware_in(start, "start"), aware_in(end, "end")
        check_text(reason, "reason")
        check_text(certificate, "certificate")
        judge = self.staff_judge(staff_id)  # the staff member's hall's rules (ATT-5)
        kind = check_leave(
            judge.policy,
            self.now(),
            kind=kind,
            start=start,
            end=end,
            certificate=certificate,
        )
        first, last = judge.local_day(start), judge.local_day(end - timedelta(microseconds=1))
        with self.engine.begin() as conn:
            span = self._staff_or_fail(conn, staff_id)
            check_employed(staff_id, span, first, last, "start")  # not before or after the job
            check_known_years(first, last, "start")  # rule ATT-10: no year the calendar lacks
            self._no_overlap(conn, staff_id, start, end)
            if extends_id is not None:  # rule ATT-5: an extension needs approval too
                base = self._leave(conn, extends_id)
                if base["staff_id"] != staff_id or base["status"] != "approved":
                    raise FieldError(
                        f"leave {extends_id} is not an approved leave of "
                        f"{staff_id}; only that can be extended",
                        key="att.err.extends",
                        field="extends_id",
                        leave_id=extends_id,
                    )
            self._open_or_fail(conn, self._days(start, end))
            values = {
                "staff_id": staff_id,
                "kind": kind,
                "start": start,
                "end": end,
                "reason": reason,
                "certificate": certificate.strip(),
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
            raise NotFound(f"no leave {leave_id}", key="att.err.no_leave", leave_id=leave_id)
        out = dict(row)
        for k in ("start", "end", "requested_at", "dept_at", "office_at"):
            out[k] = aware(out[k])
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
        self,
        *,
        actor: str,
        leave_id: int,
        stage: Stage,
        approve: bool,
        why: str = "",
        role: str | None = None,
    ) -> dict[str, Any]:
        """The department head, then the supervision office (督查考核科), approve or refuse.

        Refused: the staff member's own account, the account that took the first stage taking
        the second, and (when `role` is known) a role that does not decide this stage.
        """
        check_role(role, DEPARTMENT_ROLES if stage == "department" else OFFICE_ROLES, stage)
        check_text(why, "why")
        with self.engine.begin() as conn:
            self._lock(conn, LEAVE, leave_id)
            lv = self._leave(conn, leave_id)
            expected = {"department": "pending", "office": "dept_approved"}[stage]
            if lv["status"] != expected:
                raise WorkflowError(
                    f"leave {leave_id} is {lv['status']}; the {stage} decides only a leave that "
                    f"is {expected} (rule ATT-5: department head first, then 督查考核科)",
                    key="att.err.stage_order",
                    leave_id=leave_id,
                )
            check_not_own(actor, lv["staff_id"], "leave", linked_staff(conn, actor))  # rule ATT-5
            if stage == "office" and approve and self._same_person(conn, actor, lv["dept_by"]):
                raise Forbidden(
                    f"{actor} took the department stage; the office stage is another account's",
                    key="att.err.same_approver",
                    who=actor,
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
        """Withdraw a leave, e.g. obtained by deceit (rule ATT-6); needs a reason."""
        _why_needed(why)
        with self.engine.begin() as conn:
            self._lock(conn, LEAVE, leave_id)
            lv = self._leave(conn, leave_id)
            if lv["status"] in ("revoked", "refused"):
                raise WorkflowError(
                    f"leave {leave_id} is {lv['status']}: nothing to revoke",
                    key="att.err.not_revocable",
                )
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
            if lv["status"] == "approved":
                self._rejudge(conn, lv["staff_id"], days)
            return self._leave(conn, leave_id)

    def _check_substitute(self, conn: Connection, lv: dict[str, Any]) -> None:
        """Rule ATT-7: a sole staff member, or a second one of a window, needs a substitute."""
        day = self.projector.judge.local_day(lv["start"])
        window, mates = window_mates(self.seats(conn, day), lv["staff_id"])
        if not window:
            return
        halls = staff_halls(conn, [lv["staff_id"], *mates])  # another hall's w02 is no mate
        mates = [m for m in mates if halls.get(m) == halls.get(lv["staff_id"])]
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
                "post for the whole leave before it is approved (rule ATT-7)",
                key="att.err.substitute_sole" if not mates else "att.err.substitute_second",
                staff_id=lv["staff_id"],
                window=window,
            )

    # -- corrections (补卡, rule ATT-6) ----------------------------------------------------------
    def file_correction(
        self, *, actor: str, staff_id: str, at: datetime, reason: str, checkpoint: str
    ) -> int:
        """File a correction for review: named checkpoint, a past time, within the deadline."""
        at = aware_in(at, "at")
        check_text(reason, "reason")
        if not reason.strip():
            raise FieldError("a correction needs a reason", key="att.err.reason", field="reason")
        judge = self.staff_judge(staff_id)  # the staff member's hall's deadline (ATT-6)
        check_correction(
            judge.policy, self.now(), at=at, checkpoint=checkpoint, calendar=judge.calendar
        )
        day = judge.local_day(at)
        with self.engine.begin() as conn:
            span = self._staff_or_fail(conn, staff_id)
            check_employed(staff_id, span, day, day, "at")
            check_known_years(day, day, "at")  # rule ATT-10
            self._open_or_fail(conn, [day])
            values = {
                "staff_id": staff_id,
                "checkpoint": checkpoint,
                "at": at,
                "reason": reason,
                "approver": "",
                "entered_by": actor,
                "entered_at": self.clock(),
                "status": "pending",
            }
            fix_id = new_id(conn.execute(sa.insert(CORRECTION).values(**values)))
            self._audit(conn, actor, "file", "correction", fix_id, values, reason)
        return fix_id

    def review_correction(
        self,
        *,
        actor: str,
        correction_id: int,
        approve: bool,
        why: str = "",
        role: str | None = None,
    ) -> dict[str, Any]:
        """The supervision office approves or refuses a filed correction (rule ATT-6).

        Never the person it corrects, nor the account that filed it.
        """
        check_role(role, OFFICE_ROLES, "review")
        check_text(why, "why")
        with self.engine.begin() as conn:
            self._lock(conn, CORRECTION, correction_id)
            row = self._correction(conn, correction_id)
            if row["status"] != "pending":
                raise WorkflowError(
                    f"correction {correction_id} is {row['status']}: nothing to review",
                    key="att.err.not_pending",
                )
            check_not_own(actor, row["staff_id"], "correction", linked_staff(conn, actor))
            if self._same_person(conn, actor, row["entered_by"]):
                raise Forbidden(
                    f"{actor} filed correction {correction_id}; another account reviews it",
                    key="att.err.filer_reviews",
                )
            days = self._days(row["at"], row["at"])
            self._open_or_fail(conn, days)
            status = "approved" if approve else "refused"
            conn.execute(
                sa.update(CORRECTION)
                .where(CORRECTION.c.id == correction_id)
                .values(status=status, approver=actor, reviewed_at=self.clock())
            )
            self._audit(
                conn,
                actor,
                "approve" if approve else "refuse",
                "correction",
                correction_id,
                {"status": status},
                why,
            )
            if approve:
                self._rejudge(conn, row["staff_id"], days)
            return self._correction(conn, correction_id)

    def revoke_correction(self, *, actor: str, correction_id: int, why: str) -> dict[str, Any]:
        """Withdraw a correction (filed or approved by mistake); needs a reason."""
        _why_needed(why)
        with self.engine.begin() as conn:
            self._lock(conn, CORRECTION, correction_id)
            row = self._correction(conn, correction_id)
            if row["status"] in ("revoked", "refused"):
                raise WorkflowError(
                    f"correction {correction_id} is {row['status']}: nothing to revoke",
                    key="att.err.not_revocable",
                )
            days = self._days(row["at"], row["at"])
            self._open_or_fail(conn, days)
            conn.execute(
                sa.update(CORRECTION)
                .where(CORRECTION.c.id == correction_id)
                .values(revoked=True, status="revoked")
            )
            self._audit(
                conn,
                actor,
                "revoke",
                "correction",
                correction_id,
                {"was": row["status"], "status": "revoked"},
                why,
            )
            if row["status"] == "approved":
                self._rejudge(conn, row["staff_id"], days)
            return self._correction(conn, correction_id)

    def _correction(self, conn: Connection, correction_id: int) -> dict[str, Any]:
        row = (
            conn.execute(sa.select(CORRECTION).where(CORRECTION.c.id == correction_id))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(
                f"no correction {correction_id}", key="att.err.no_correction", id=correction_id
            )
        out = dict(row)
        for k in ("at", "entered_at", "reviewed_at"):
            out[k] = aware(out[k])
        return out

    def get_correction(self, correction_id: int) -> dict[str, Any]:
        """One correction as stored."""
        with self.engine.connect() as conn:
            return self._correction(conn, correction_id)

    def list_corrections(self, staff_id: str | None = None) -> list[dict[str, Any]]:
        """Corrections, newest first."""
        q = sa.select(CORRECTION.c.id).order_by(CORRECTION.c.id.desc())
        if staff_id is not None:
            q = q.where(CORRECTION.c.staff_id == staff_id)
        with self.engine.connect() as conn:
            return [self._correction(conn, i) for i in conn.execute(q).scalars()]
