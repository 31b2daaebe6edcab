"""The base of the attendance workflow: the audit trail, closed months, substitutes, who is
who (an account and the staff member it belongs to), overlapping leave and daily wages.

Every change is audited (who, when, what, why). Closed months are frozen (rule ATT-8). A
decision locks its row first, so two operators acting at once are served one after the other.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hub.attendance.checks import (
    FieldError,
    NotFound,
    WorkflowError,
    check_known_years,
    check_text,
)
from hub.attendance.engine import Employment, Judge
from hub.attendance.projector import AttendanceProjector, month_range
from hub.attendance.seats import SeatReader, staff_table_holders
from hub.attendance.store import STAFF, aware, closed_months, month_key
from hub.attendance.tables import AttAudit, AttLeave, AttMonth, AttPay, AttSubstitute
from hub.users.accounts import linked_staff

logger = logging.getLogger(__name__)

SUBSTITUTE = AttSubstitute.__table__  # type: ignore[attr-defined]
MONTH = AttMonth.__table__  # type: ignore[attr-defined]
AUDIT = AttAudit.__table__  # type: ignore[attr-defined]
LEAVE = AttLeave.__table__  # type: ignore[attr-defined]
PAY = AttPay.__table__  # type: ignore[attr-defined]
LIVE_LEAVE = ("pending", "dept_approved", "approved")
"""Leave statuses that still stand (a new leave may not overlap one of them)."""


__all__ = ["FieldError", "NotFound", "WorkflowDesk", "WorkflowError", "aware_in", "utc_now"]


def utc_now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


def new_id(result: sa.CursorResult[Any]) -> int:
    """The primary key an insert created."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def aware_in(at: datetime, what: str) -> datetime:
    """An input time as aware UTC; a naive one is refused."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise FieldError(f"{what} must carry its UTC offset", key="att.err.naive", field=what)
    return at.astimezone(UTC)


class WorkflowDesk:
    """Audit trail, closed months and substitutes; the base of AttendanceWorkflow."""

    def __init__(
        self,
        engine: Engine,
        projector: AttendanceProjector,
        clock: Callable[[], datetime] = utc_now,
        seats: SeatReader = staff_table_holders,
    ) -> None:
        """Work on `engine`; `projector` re-judges touched days; `clock` is the hall's clock.

        `seats` says who holds a seat at which window on a day (the roster's post ledger
        replaces the staff table's window).
        """
        self.engine = engine
        self.projector = projector
        self.clock = clock
        self.seats = seats
        if projector.clock is None:
            projector.clock = clock  # one clock: what is not yet due is 未到, never absent

    def now(self) -> datetime:
        """The hall's clock, aware."""
        return aware_in(self.clock(), "clock")

    def staff_judge(self, staff_id: str) -> Judge:
        """The judge of the staff member's own hall: its policy's filing rules, zone and calendar
        (rules ATT-5, ATT-6); the first hall's for one of no hall served."""
        with self.engine.connect() as conn:
            found = self.projector.staff_judges(conn, [staff_id])
        return found.get(staff_id, self.projector.judge)

    def _staff_or_fail(
        self, conn: Connection, staff_id: str, field: str = "staff_id"
    ) -> Employment:
        """The staff member's days with the hall; a FieldError unless they are one of its staff."""
        check_text(staff_id, field)
        found = conn.execute(
            sa.select(STAFF.c.start_date, STAFF.c.leave_date, STAFF.c.created_at).where(
                STAFF.c.staff_id == staff_id
            )
        ).first()
        if found is None:
            raise FieldError(
                f"no staff member {staff_id!r}",
                key="att.err.unknown_staff",
                field=field,
                staff_id=staff_id,
            )
        first, last, added = found
        if first is None and added is not None:  # as hub.attendance.store.employment
            first = self.projector.judge.local_day(aware(added))
        return Employment(first, last)

    def _same_person(self, conn: Connection, actor: str, other: str | None) -> bool:
        """Whether two accounts are one person: the same name, or linked to one staff member."""
        if other is None:
            return False
        mine = {actor, linked_staff(conn, actor)} - {None}
        return bool(mine & {other, linked_staff(conn, other)})

    @staticmethod
    def _lock(conn: Connection, table: sa.Table, row_id: int) -> None:
        """Take the row's write lock before reading it: a second operator deciding, reviewing
        or revoking the same item at the same moment waits, then sees what the first did."""
        conn.execute(sa.update(table).where(table.c.id == row_id).values(id=table.c.id))

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
            raise WorkflowError("every change needs the actor who makes it", key="att.err.actor")
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
            raise WorkflowError(
                f"month {min(frozen)} is closed (rule ATT-8); reopen it first",
                key="att.err.month_closed",
                month=min(frozen),
            )

    def _rejudge(self, conn: Connection, staff_id: str, days: list[date]) -> None:
        self.projector.rejudge_keys(conn, [(staff_id, d) for d in days])

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
        hall: str | None = None,
        leave_id: int | None = None,
        sent_by_unit: bool = False,
        filed_at: datetime | None = None,
        why: str = "",
    ) -> int:
        """Record a substitute on post at `hall`'s `window` for `staff_id` from `start` to `end`.

        The hall is the staff member's (their window is in their hall); a `hall` given must be
        theirs: two halls may both have a window w02, and the post ledger of each reads only
        its own hall's substitutes (rule ATT-7).
        """
        start, end = aware_in(start, "start"), aware_in(end, "end")
        if end <= start:
            raise FieldError(
                "a substitute's time must end after it starts", key="att.err.end_order", field="end"
            )
        if substitute_id == staff_id:
            raise FieldError(
                "a staff member cannot substitute for themselves",
                key="att.err.self_substitute",
                field="substitute_id",
            )
        check_text(window, "window")
        check_text(substitute_id, "substitute_id")
        check_text(why, "why")
        days = self._days(start, end - timedelta(microseconds=1))
        longest = self.staff_judge(staff_id).policy.filing.leave_max_days
        if len(days) > longest:  # no substitute outlasts the longest leave (rule ATT-7)
            raise FieldError(
                f"a substitute covers at most {longest} days",
                key="att.err.substitute_too_long",
                field="end",
                days=longest,
            )
        check_known_years(days[0], days[-1], "start")  # rule ATT-10
        if sent_by_unit and (filed_at is None or aware_in(filed_at, "filed_at") > start):
            raise FieldError(
                "a substitute sent by the staff member's own unit must be filed "
                "with 督查考核科 in advance (rule ATT-7)",
                key="att.err.substitute_filed",
                field="filed_at",
            )
        values = {
            "window": window,
            "staff_id": staff_id,
            "substitute_id": substitute_id,
            "start": start,
            "end": end,
            "leave_id": leave_id,
            "sent_by_unit": sent_by_unit,
            "filed_at": aware_in(filed_at, "filed_at") if filed_at else None,
            "created_by": actor,
            "created_at": self.clock(),
        }
        with self.engine.begin() as conn:
            self._staff_or_fail(conn, staff_id)  # the substitute may come from their unit
            values["hall"] = self._hall_of(conn, staff_id, hall)
            self._open_or_fail(conn, days)
            sub_id = new_id(conn.execute(sa.insert(SUBSTITUTE).values(**values)))
            self._audit(conn, actor, "add", "substitute", sub_id, values, why)
        return sub_id

    @staticmethod
    def _hall_of(conn: Connection, staff_id: str, asked: str | None) -> str:
        """The staff member's hall; a FieldError when `asked` names another (rule ATT-7)."""
        hall = conn.execute(
            sa.select(STAFF.c.hall).where(STAFF.c.staff_id == staff_id)
        ).scalar_one()
        if asked is not None and asked != hall:
            raise FieldError(
                f"{staff_id} is staff of hall {hall}, not {asked}",
                key="att.err.substitute_hall",
                field="hall",
                staff_id=staff_id,
            )
        return str(hall)

    def list_substitutes(
        self, window: str | None = None, hall: str | None = None
    ) -> list[dict[str, Any]]:
        """Substitutes recorded (at one window, of one hall), newest first."""
        q = sa.select(SUBSTITUTE).order_by(SUBSTITUTE.c.id.desc())
        if window is not None:
            q = q.where(SUBSTITUTE.c.window == window)
        if hall is not None:
            q = q.where(SUBSTITUTE.c.hall == hall)
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(q).mappings()]
        for r in rows:
            for k in ("start", "end", "filed_at", "created_at"):
                r[k] = aware(r[k]) if r[k] else None
        return rows

    def substitute_hall(self, sub_id: int) -> str:
        """The hall a recorded substitute stands in at."""
        with self.engine.connect() as conn:
            q = sa.select(SUBSTITUTE.c.hall).where(SUBSTITUTE.c.id == sub_id)
            return str(conn.execute(q).scalar_one())

    # -- months (rule ATT-8) -------------------------------------------------------------------
    def month_closed(self, month: str) -> bool:
        """True when the month is closed."""
        month_range(month)
        with self.engine.connect() as conn:
            return month in closed_months(conn)

    def close_month(self, *, actor: str, month: str, why: str = "") -> int:
        """Judge the whole month from its facts, store it, and freeze it; returns rows stored."""
        first, last = month_range(month)
        check_text(why, "why")
        today = self.projector.judge.local_day(self.now())
        if last >= today:
            raise WorkflowError(
                f"month {month} is not over yet ({today}); close it after its last day",
                key="att.err.month_not_over",
                month=month,
            )
        with self.engine.begin() as conn:
            if month in closed_months(conn):
                raise WorkflowError(
                    f"month {month} is already closed", key="att.err.month_already_closed"
                )
            records = self.projector.recompute(conn, first, last)
            self._set_month(conn, actor, month, closed=True)
            self._audit(conn, actor, "close", "month", month, {"days": len(records)}, why)
        return len(records)

    def reopen_month(self, *, actor: str, month: str, why: str) -> int:
        """Reopen a closed month (audited, needs a reason) and re-judge it from its facts."""
        first, last = month_range(month)
        check_text(why, "why")
        if not why.strip():
            raise FieldError(
                "reopening a month needs a reason", key="att.err.why_needed", field="why"
            )
        with self.engine.begin() as conn:
            if month not in closed_months(conn):
                raise WorkflowError(f"month {month} is not closed", key="att.err.month_not_closed")
            self._set_month(conn, actor, month, closed=False)
            records = self.projector.recompute(conn, first, last)
            self._audit(conn, actor, "reopen", "month", month, {"days": len(records)}, why)
        return len(records)

    def _set_month(self, conn: Connection, actor: str, month: str, *, closed: bool) -> None:
        values = {"closed": closed, "changed_by": actor, "changed_at": self.clock()}
        done = conn.execute(sa.update(MONTH).where(MONTH.c.month == month).values(**values))
        if not done.rowcount:
            conn.execute(sa.insert(MONTH).values(month=month, **values))

    # -- leave that stands (rule ATT-5) -------------------------------------------------------
    def _no_overlap(self, conn: Connection, staff_id: str, start: datetime, end: datetime) -> None:
        """A FieldError when the staff member has a standing leave overlapping this time."""
        other = conn.execute(
            sa.select(LEAVE.c.id).where(
                LEAVE.c.staff_id == staff_id,
                LEAVE.c.status.in_(LIVE_LEAVE),
                LEAVE.c.start < end,
                LEAVE.c.end > start,
            )
        ).first()
        if other is not None:  # rule ATT-5: one request per absence; extend it instead
            raise FieldError(
                f"{staff_id} already has leave {other[0]} in this time",
                key="att.err.leave_overlap",
                field="start",
                leave_id=other[0],
            )

    # -- pay (rule ATT-9: a day of absence costs that day's pay) -------------------------------
    def set_daily_wage(self, *, actor: str, staff_id: str, yuan: float, why: str = "") -> None:
        """Set a staff member's daily wage (what a day's pay is in the month report)."""
        if not 0 <= yuan <= 100_000:
            raise FieldError(
                "a daily wage is 0 to 100000 yuan", key="att.err.wage", field="daily_wage_yuan"
            )
        check_text(why, "why")
        fen = round(yuan * 100)
        with self.engine.begin() as conn:
            self._staff_or_fail(conn, staff_id)
            values = {"daily_wage_fen": fen, "changed_by": actor, "changed_at": self.clock()}
            done = conn.execute(sa.update(PAY).where(PAY.c.staff_id == staff_id).values(**values))
            if not done.rowcount:
                conn.execute(sa.insert(PAY).values(staff_id=staff_id, **values))
            self._audit(conn, actor, "set", "pay", staff_id, {"daily_wage_fen": fen}, why)
