"""The follow-up of a dissatisfied rating, pure: its steps and deadlines (RATE-3).

open -> assigned -> contacted (attempts logged until the citizen is reached) -> verified (the
finding: substantiated, partly, unfounded) -> rectifying (a plan and its deadline) -> rectified
-> closed (the answer told to the citizen; the phone number erased, PRIV-1) -> audited. An
unfounded complaint is closed after verification; verification may start before the citizen
is reached (records, video), the answer is told at closure.

Deadlines, in working days of the hall's calendar: contact by the end of the rating's working
day (`contact_days` 0, RATE-3), rectification within `rectify_days` of the plan, closure within
`close_days` of the rating. A missed one is an alert, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from hub.problems import Problem
from hub.ratings.scheme import RatingSettings
from hub.workdays import IsWorkday, end_of_workday


class FollowupState(StrEnum):
    """Where a follow-up task is."""

    OPEN = "open"
    ASSIGNED = "assigned"
    CONTACTED = "contacted"
    VERIFIED = "verified"
    RECTIFYING = "rectifying"
    RECTIFIED = "rectified"
    CLOSED = "closed"
    AUDITED = "audited"


class Finding(StrEnum):
    """What verification found about the dissatisfaction."""

    SUBSTANTIATED = "substantiated"
    PARTLY = "partly"
    UNFOUNDED = "unfounded"


ATTEMPT_RESULTS = ("no_answer", "busy", "wrong_number", "declined", "no_number")
"""Why a contact attempt did not reach the citizen."""
TOLD_HOW = ("phone", "sms", "in_person", "letter")
"""How the answer was told to the citizen."""
DONE = (FollowupState.CLOSED, FollowupState.AUDITED)


class FollowupError(Problem):
    """A follow-up step that is not allowed now (409); the key words the reason."""


_S = FollowupState
_STEPS: dict[str, tuple[tuple[FollowupState, ...], FollowupState | None]] = {
    "assign": ((_S.OPEN, _S.ASSIGNED), _S.ASSIGNED),
    "attempt": ((_S.OPEN, _S.ASSIGNED), None),  # logged; the state stays
    "contacted": ((_S.OPEN, _S.ASSIGNED), _S.CONTACTED),
    "verified": ((_S.OPEN, _S.ASSIGNED, _S.CONTACTED), _S.VERIFIED),
    "rectify": ((_S.VERIFIED,), _S.RECTIFYING),
    "rectified": ((_S.RECTIFYING,), _S.RECTIFIED),
    "closed": ((_S.VERIFIED, _S.RECTIFIED), _S.CLOSED),
    "audited": ((_S.CLOSED,), _S.AUDITED),
}
ACTIONS = tuple(_STEPS)


def next_state(state: str, action: str, finding: str | None = None) -> FollowupState:
    """The state after `action`; FollowupError when it is not allowed now.

    A substantiated (or partly) finding is rectified before it is closed; an unfounded one is
    not rectified.
    """
    if action not in _STEPS:
        raise FollowupError("followup.err_unknown_action")  # fixed words: no URL echoed
    allowed, after = _STEPS[action]
    now = FollowupState(state)
    if now not in allowed:
        raise FollowupError("followup.err_not_now", state=state, action=action)
    if action == "rectify" and finding == Finding.UNFOUNDED:
        raise FollowupError("followup.err_unfounded_rectify")
    if action == "closed" and now is _S.VERIFIED and finding != Finding.UNFOUNDED:
        raise FollowupError("followup.err_rectify_first")
    return after or now


@dataclass(frozen=True, slots=True)
class Deadlines:
    """When the citizen must be contacted, and the follow-up closed (RATE-3)."""

    contact_due: datetime
    close_due: datetime


def deadlines(
    rated_at: datetime, tz: ZoneInfo, settings: RatingSettings, is_workday: IsWorkday
) -> Deadlines:
    """The rating's follow-up deadlines: the end of the n-th working day after its day.

    rule RATE-3: contact the same working day by default; weekends, holidays and 调休 make-up
    days from the national calendar; a deadline ends at midnight, hall time.
    """
    return Deadlines(
        end_of_workday(rated_at, settings.contact_days, tz, is_workday),
        end_of_workday(rated_at, settings.close_days, tz, is_workday),
    )


def rectify_due(
    now: datetime,
    tz: ZoneInfo,
    settings: RatingSettings,
    is_workday: IsWorkday,
    asked: date | None = None,
) -> datetime:
    """The rectification deadline: `rectify_days` working days, or an earlier day asked for."""
    limit = end_of_workday(now, settings.rectify_days, tz, is_workday)
    last_day = (limit - timedelta(seconds=1)).astimezone(tz).date()
    if asked is None:
        return limit
    if asked < now.astimezone(tz).date():
        raise FollowupError("followup.err_due_past")
    due = (
        None
        if asked > last_day
        else end_of_workday(datetime.combine(asked, time(12), tz), 0, tz, is_workday)
    )
    if due is None or due > limit:
        raise FollowupError("followup.err_due_late", days=settings.rectify_days, last=last_day)
    return due


def overdue(
    state: str,
    contact_due: datetime,
    close_due: datetime,
    rectify_due_at: datetime | None,
    contacted_at: datetime | None,
    now: datetime,
) -> list[str]:
    """Which deadlines a task has missed: contact_overdue, rectify_overdue, close_overdue."""
    s = FollowupState(state)
    out = []
    if contacted_at is None and s in (_S.OPEN, _S.ASSIGNED) and now > contact_due:
        out.append("contact_overdue")  # rule RATE-3
    if s is _S.RECTIFYING and rectify_due_at is not None and now > rectify_due_at:
        out.append("rectify_overdue")
    if s not in DONE and now > close_due:
        out.append("close_overdue")
    return out
