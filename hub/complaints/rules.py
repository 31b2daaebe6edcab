"""Complaints and call-backs, pure: channels, steps, deadlines, what a citizen may send (DUTY-6).

rule DUTY-6: complaints are taken at any time (in person, phone, message, the box, and the
hall's public page reached by its QR code), each is investigated, and the outcome is told to
the complainant; a citizen whose matter cannot be handled now is asked for a phone number to
be called back (also DEV-4). A complaint goes open -> assigned -> investigating -> answered
(the answer, how and when it was told) -> closed; the complainant's contact is erased once
the answer is told (PRIV-1). Deadlines in working days are settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from hub.problems import InvalidProblem, Problem
from hub.workdays import IsWorkday, end_of_workday

CHANNELS = ("in_person", "phone", "message", "box", "public_page")
"""How a complaint came in (DUTY-6: 24小时受理, in person, phone, message, box; the QR page)."""
OPERATOR_CHANNELS = CHANNELS[:4]
TOLD_HOW = ("phone", "sms", "in_person", "letter", "status_page")
"""How the answer was told; `status_page`: read on the public page by the complainant."""
FINDINGS = ("substantiated", "partly", "unfounded")
CALLBACK_RESULTS = ("reached", "no_answer", "wrong_number", "declined")


class ComplaintState(StrEnum):
    """Where a complaint is."""

    OPEN = "open"
    ASSIGNED = "assigned"
    INVESTIGATING = "investigating"
    ANSWERED = "answered"
    CLOSED = "closed"


class ComplaintError(Problem):
    """A step that is not allowed now (409); the key words it in the catalogue."""


class ComplaintInputError(InvalidProblem):
    """What a citizen or an operator sent does not make sense (422)."""


_C = ComplaintState
_STEPS: dict[str, tuple[tuple[ComplaintState, ...], ComplaintState]] = {
    "assign": ((_C.OPEN, _C.ASSIGNED, _C.INVESTIGATING), _C.ASSIGNED),
    "investigate": ((_C.OPEN, _C.ASSIGNED, _C.INVESTIGATING), _C.INVESTIGATING),
    "answer": ((_C.INVESTIGATING,), _C.ANSWERED),
    "close": ((_C.ANSWERED,), _C.CLOSED),
}
ACTIONS = tuple(_STEPS)


def next_state(state: str, action: str) -> ComplaintState:
    """The state after `action`; ComplaintError when it is not allowed now."""
    if action not in _STEPS:
        raise ComplaintInputError("complaint.err_unknown_action")  # fixed words: no URL echoed
    allowed, after = _STEPS[action]
    if ComplaintState(state) not in allowed:
        raise ComplaintError("complaint.err_not_now", action=action, state=state)
    return after


@dataclass(frozen=True, slots=True)
class ComplaintSettings:
    """A hall's complaint deadlines (working days) and the public page's limits."""

    acknowledge_days: int = 1  # the complainant is contacted (or the case assigned) by then
    answer_days: int = 5  # rule DUTY-6: investigated and answered within 5 working days
    callback_days: int = 1  # rule DEV-4: a citizen who left a number is called back by then
    public_per_hour: int = 5  # complaints one client may send from the public page an hour
    public_per_day_hall: int = 500  # and the hall in all, a day (a flood is refused)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ComplaintSettings:
        """Settings from stored values; unknown keys an error, numbers checked."""
        known = {"acknowledge_days", "answer_days", "callback_days", "public_per_hour"}
        known |= {"public_per_day_hall"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown complaint settings: {sorted(unknown)}")
        s = cls(**data)
        if not 0 <= s.acknowledge_days <= s.answer_days <= 60 or not 0 <= s.callback_days <= 10:
            raise ValueError("need 0 <= acknowledge_days <= answer_days <= 60, callback_days 0..10")
        if not 1 <= s.public_per_hour <= 100 or not 1 <= s.public_per_day_hall <= 100_000:
            raise ValueError("public limits out of range")
        return s

    def to_dict(self) -> dict[str, Any]:
        """JSON-able values."""
        return {
            "acknowledge_days": self.acknowledge_days,
            "answer_days": self.answer_days,
            "callback_days": self.callback_days,
            "public_per_hour": self.public_per_hour,
            "public_per_day_hall": self.public_per_day_hall,
        }


@dataclass(frozen=True, slots=True)
class Deadlines:
    """A complaint's deadlines."""

    acknowledge_due: datetime
    answer_due: datetime


def deadlines(
    received_at: datetime, tz: ZoneInfo, settings: ComplaintSettings, is_workday: IsWorkday
) -> Deadlines:
    """When a complaint received at `received_at` must be acknowledged and answered (DUTY-6).
    A complaint taken on a day off (24小时受理) counts from the next working day."""
    return Deadlines(
        end_of_workday(received_at, settings.acknowledge_days, tz, is_workday),
        end_of_workday(received_at, settings.answer_days, tz, is_workday),
    )


def overdue(
    state: str,
    acknowledge_due: datetime,
    answer_due: datetime,
    assigned_at: datetime | None,
    now: datetime,
) -> list[str]:
    """Missed deadlines: acknowledge_overdue, answer_overdue (rule DUTY-6)."""
    s = ComplaintState(state)
    out = []
    if s is _C.OPEN and assigned_at is None and now > acknowledge_due:
        out.append("acknowledge_overdue")
    if s in (_C.OPEN, _C.ASSIGNED, _C.INVESTIGATING) and now > answer_due:
        out.append("answer_overdue")
    return out


WHEN_SLACK = timedelta(minutes=10)
"""How far ahead of the hub's clock a complaint's "when it happened" may be (a phone's clock)."""


def check_happened(when: datetime | None, now: datetime) -> datetime | None:
    """When the complained-of matter happened: not a day that has not come (DUTY-6)."""
    if when is not None and when > now + WHEN_SLACK:
        raise ComplaintInputError("pub.err_when_future")
    return when


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str, *, least: int, most: int, key: str) -> str:
    """Text as a citizen typed it, trimmed, without control characters, within its length."""
    out = _CONTROL.sub("", (text or "").replace("\r\n", "\n")).strip()
    if len(out) < least:
        raise ComplaintInputError(f"{key}_too_short", least=least)
    if len(out) > most:
        raise ComplaintInputError(f"{key}_too_long", most=most)
    return out
