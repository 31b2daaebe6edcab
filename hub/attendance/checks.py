"""What a leave request, a correction or an approval may not be: pure checks with reasons.

Each refusal is a `WorkflowError` carrying the catalogue key of its words (`att.err.*`), the
values they name and the form field it belongs beside, so the API and the dashboard say it in
the operator's language next to the field (rules ATT-5, ATT-6; policy `[filing]`).
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from hub.attendance.calendar import WorkCalendar
from hub.attendance.engine import Employment
from hub.attendance.facts import LeaveKind
from hub.attendance.policy import Policy
from hub.problems import Problem

DEPARTMENT_ROLES = frozenset({"admin", "supervisor", "duty_chief", "window_lead"})
"""Operator roles that decide the department head's stage of a leave (rule ATT-5)."""
OFFICE_ROLES = frozenset({"admin", "supervisor"})
"""Operator roles of the supervision office (督查考核科): the leave's second stage, corrections."""


class WorkflowError(Problem, ValueError):
    """The rules refuse this change; the message says which rule and why (in English, for logs).

    A `hub.problems.Problem`: `key` names the words in the catalogue (`att.err.*`, filled with
    `values`); `field` the form field the refusal belongs beside; `status` the HTTP status.
    """

    status: ClassVar[int] = 409

    def __init__(
        self, message: str, *, key: str = "", field: str | None = None, **values: Any
    ) -> None:
        """A refusal with its English text, catalogue key, field and values."""
        Exception.__init__(self, message)
        self.key = key
        self.field = field
        self.values = values


class FieldError(WorkflowError):
    """A form value the rules refuse (answered 422, shown beside its field)."""

    status: ClassVar[int] = 422


class Forbidden(WorkflowError):
    """This operator may not take this decision (answered 403): own request, wrong role."""

    status: ClassVar[int] = 403


class NotFound(WorkflowError):
    """No such leave, correction or month."""

    status: ClassVar[int] = 404


def check_leave(
    policy: Policy,
    now: datetime,
    *,
    kind: str,
    start: datetime,
    end: datetime,
    certificate: str,
) -> str:
    """The leave kind's value, or a FieldError (rule ATT-5; the policy's `[filing]` range)."""
    try:
        value = LeaveKind(kind).value
    except ValueError:
        kinds = ", ".join(k.value for k in LeaveKind)
        raise FieldError(
            f"unknown leave kind {kind!r}; kinds: {kinds}", key="att.err.kind", field="kind"
        ) from None
    if value == LeaveKind.SICK and not certificate.strip():  # rule ATT-5 (003)
        raise FieldError(
            "sick leave needs the reference of a level-2 or higher hospital's certificate",
            key="att.err.certificate",
            field="certificate",
        )
    if end <= start:
        raise FieldError("leave must end after it starts", key="att.err.end_order", field="end")
    f = policy.filing
    zone = policy.zone
    today = now.astimezone(zone).date()
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    earliest = today - timedelta(days=f.leave_back_days)
    latest = today + timedelta(days=f.leave_ahead_days)
    if first < earliest:
        raise FieldError(
            f"a leave may start {f.leave_back_days} days ago at the earliest ({earliest})",
            key="att.err.leave_too_early",
            field="start",
            day=earliest.isoformat(),
        )
    if first > latest:
        raise FieldError(
            f"a leave may start {f.leave_ahead_days} days ahead at the latest ({latest})",
            key="att.err.leave_too_late",
            field="start",
            day=latest.isoformat(),
        )
    if (last - first).days + 1 > f.leave_max_days:
        raise FieldError(
            f"one leave covers at most {f.leave_max_days} days (the hall's policy)",
            key="att.err.leave_too_long",
            field="end",
            days=f.leave_max_days,
        )
    return value


def correction_deadline(policy: Policy, at: datetime, calendar: WorkCalendar | None = None) -> date:
    """The last day a correction of a punch at `at` may be filed (rule ATT-6, 003: 2 days).

    Calendar days by default (003: 2天内); a hall whose policy sets
    `correction_in_working_days` counts working days of its calendar (rule ATT-10), so a punch
    missed on a Friday may then be corrected on Monday and Tuesday.
    """
    if not policy.filing.correction_in_working_days:
        return at.astimezone(policy.zone).date() + timedelta(days=policy.filing.correction_days)
    cal = calendar or WorkCalendar(policy.calendar.extra_workdays, policy.calendar.extra_holidays)
    day = at.astimezone(policy.zone).date()
    left = policy.filing.correction_days
    while left > 0:
        day += timedelta(days=1)
        if cal.is_workday(day):
            left -= 1
    return day


def check_correction(
    policy: Policy,
    now: datetime,
    *,
    at: datetime,
    checkpoint: str,
    calendar: WorkCalendar | None = None,
) -> None:
    """A FieldError unless a correction names a checkpoint, lies in the past, and is in time."""
    names = policy.checkpoint_names()
    if not checkpoint:
        raise FieldError(
            "a correction names its checkpoint", key="att.err.checkpoint", field="checkpoint"
        )
    if checkpoint not in names:
        raise FieldError(
            f"no checkpoint {checkpoint!r}; checkpoints: {', '.join(names)}",
            key="att.err.checkpoint_unknown",
            field="checkpoint",
        )
    if at > now:
        raise FieldError(
            "a correction cannot be for a time still to come", key="att.err.future", field="at"
        )
    deadline = correction_deadline(policy, at, calendar)
    # rule ATT-6: filed within N days (calendar days, or working days of the calendar, ATT-10)
    if now.astimezone(policy.zone).date() > deadline:
        working = policy.filing.correction_in_working_days
        raise FieldError(
            f"a correction is filed within {policy.filing.correction_days}"
            f"{' working' if working else ''} days; "
            f"the one for {at.astimezone(policy.zone).date()} was due by {deadline}",
            key="att.err.correction_late_workdays" if working else "att.err.correction_late",
            field="at",
            days=policy.filing.correction_days,
            deadline=deadline.isoformat(),
        )


_BIDI = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))
"""Bidirectional overrides and isolates: they make a reason read otherwise than it is stored."""


def check_text(value: str, field: str) -> str:
    """The text, unless it holds a control character (NUL, escape, bidi override, a lone
    surrogate) that no form can type and PostgreSQL or a page would choke on; tabs and line
    breaks are kept."""
    for ch in value:
        kind = unicodedata.category(ch)
        if (kind == "Cc" and ch not in "\t\n\r") or kind == "Cs" or ord(ch) in _BIDI:
            raise FieldError(
                f"{field} holds the control character U+{ord(ch):04X}",
                key="att.err.control_char",
                field=field,
                code=f"U+{ord(ch):04X}",
            )
    return value


def check_employed(staff_id: str, span: Employment, first: date, last: date, field: str) -> None:
    """A FieldError unless `first`..`last` lie within the staff member's days with the hall.

    Before their start date or after their leaving date nobody is judged (issue 18.1), so a
    leave or a correction there is nonsense (rules ATT-5, ATT-6).
    """
    if span.covers(first) and span.covers(last):
        return
    raise FieldError(
        f"{staff_id} is with the hall from {span.start or '-'} to {span.leave or '-'}; "
        f"{first}..{last} is outside",
        key="att.err.not_employed",
        field=field,
        staff_id=staff_id,
        start=str(span.start or "—"),
        leave=str(span.leave or "—"),
    )


def check_known_years(first: date, last: date, field: str) -> None:
    """A FieldError when a day of `first`..`last` lies in a year that neither the national
    package nor the hall's calendar knows (rule ATT-10): judged by a guess otherwise, and
    the attendance page of that year could not be shown. Entered on 节假日日历, it is known."""
    from hub.attendance.calendar import coverage

    for year in range(first.year, last.year + 1):
        if coverage(year) is None:
            raise FieldError(
                f"the calendar does not know {year}: enter its holidays first (rule ATT-10)",
                key="calendar.year_unknown",
                field=field if year == first.year else "end",
                year=year,
            )


def check_not_own(actor: str, staff_id: str, what: str, actor_staff: str | None = None) -> None:
    """Nobody approves their own leave or correction (rules ATT-5, ATT-6).

    The actor is the staff member when their account names them (`actor_staff`, linked by an
    admin), or when the account is named with the staff id.
    """
    if staff_id in (actor, actor_staff):
        key = "att.err.own_leave" if what == "leave" else "att.err.own_correction"
        raise Forbidden(f"{actor} may not approve their own {what}", key=key)


def check_role(role: str | None, allowed: frozenset[str], stage: str) -> None:
    """A Forbidden unless the operator's role may take this decision (None: not known)."""
    if role is not None and role not in allowed:
        raise Forbidden(
            f"role {role} may not take the {stage} decision", key=f"att.err.role_{stage}"
        )
