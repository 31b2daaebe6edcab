"""What the duty API returns for the roster, the ledger and the duty chief, and its refusals
(Public models, apart from the tables; hub.api.public; the month's: hub.duty.public_month).

Moments are sent as pydantic writes them (UTC as `Z`, the hall's zone as `+08:00`), as the
routes did before they had models. A refusal is a 422 whose `detail` lists each reason.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from hub.api.public import Public

# -- roster and ledger (DUTY-1, POST-7, ATT-7, ATT-10) -------------------------------------------


class RosterVersionPublic(Public):
    """One filing of a month's roster; the highest version is in force (DUTY-1)."""

    id: int
    hall: str
    month: str
    version: int
    filed_at: datetime
    filed_by: str
    source: str = Field(description="import / edit / demo")
    filename: str
    why: str
    late: bool = Field(description="Filed after the deadline (DUTY-1)")
    entries: int


class RosterEntryPublic(Public):
    """One rostered staff-day."""

    staff_id: str
    day: date
    window: str
    seat: str | None
    role: str = Field(description="A / B / chief")
    holiday: bool = Field(description="Holiday duty: overtime for approval (ATT-10)")


class RosterPublic(Public):
    """The month's roster in force, its filings (newest first), and whether filed in time."""

    hall: str
    month: str
    deadline: datetime
    late: bool
    versions: list[RosterVersionPublic]
    entries: list[RosterEntryPublic]


class RosterFiled(RosterVersionPublic):
    """A version just filed, and how many staff-days it changed."""

    changes: int


class RosterIssuePublic(Public):
    """A problem found in a roster: its key, line, values and the sentence in the reader's words."""

    key: str
    line: int | None
    values: dict[str, Any]
    error: bool
    text: str


class RosterImported(Public):
    """A roster file filed, with the warnings that did not stop it."""

    version: RosterFiled
    warnings: list[RosterIssuePublic]


class RosterEdited(Public):
    """A roster cell set or cleared: the new version."""

    version: RosterFiled


class HoldingPublic(Public):
    """Who holds a seat over a span of the day, and on what basis."""

    seat: str
    window: str
    staff_id: str | None
    basis: str
    start: datetime
    end: datetime
    cause: str = Field(description="Why A does not hold: a leave kind, not_arrived, ...")
    ref: int | None = Field(description="The leave or stand-in behind it")


class HandoverPublic(Public):
    """A seat changing hands (rule POST-7)."""

    seat: str
    window: str
    at: datetime
    from_staff: str | None
    to_staff: str | None
    basis: str
    cause: str
    planned: bool = Field(description="The absence behind it was approved in time")
    notice_at: datetime | None
    rule: str


class LedgerFlagPublic(Public):
    """Something the ledger found wrong: a substitute or cover missing, an empty window."""

    kind: str
    rule: str
    seat: str
    window: str
    staff_id: str | None
    start: datetime
    end: datetime
    detail: str
    ref: int | None


class LedgerPublic(Public):
    """Who holds each seat through the day and why; handovers and flags."""

    day: date
    holdings: list[HoldingPublic]
    handovers: list[HandoverPublic]
    flags: list[LedgerFlagPublic]


class HolderNowPublic(Public):
    """Who holds a seat now (RATE-2)."""

    seat: str
    window: str
    staff_id: str | None
    basis: str = Field(description="A / B / substitute / cover / ..., or vacant")
    cause: str
    since: datetime | None


class OvertimePublic(Public):
    """Holiday duty recorded as overtime (加班) for approval (ATT-10)."""

    id: int
    hall: str
    staff_id: str
    day: date
    window: str
    status: str = Field(description="pending / approved / refused")
    decided_by: str | None
    decided_at: datetime | None
    note: str
    created_at: datetime


# -- the duty chief (DUTY-2, POST-8, DEV-1, ATT-12) ----------------------------------------------


class TermPublic(Public):
    """A duty chief's term."""

    index: int
    staff_id: str
    start: date
    end: date


class RotationPublic(Public):
    """The centre's order of duty chiefs from an anchor day on (DUTY-2)."""

    id: int | None
    anchor: date
    order: list[str]
    term_days: int


class StandInPublic(Public):
    """A stand-in for the duty chief's leave."""

    chief: str
    staff_id: str
    start: date
    end: date
    approved_by: str


class ChiefPublic(Public):
    """Today's duty chief, the terms of a range, the rotations and the stand-ins."""

    today: date
    chief: str | None = Field(description="Who is duty chief today (a stand-in if any)")
    rostered_chief: str | None = Field(description="Whose term it is")
    standin_unapproved: bool = Field(
        default=False,
        description="DUTY-2: the rostered chief is on leave with no approved stand-in; the "
        "next in the centre's order stands in meanwhile",
    )
    terms: list[TermPublic]
    rotations: list[RotationPublic]
    stand_ins: list[StandInPublic]


class RotationSet(Public):
    """A rotation as set (audited)."""

    hall: str
    anchor: date
    term_days: int
    order: list[str]
    set_at: datetime
    set_by: str


class StandInCreated(StandInPublic):
    """A stand-in as recorded."""

    hall: str
    reason: str
    created_at: datetime


class LogEntryPublic(Public):
    """An entry of the duty chief's log (值班长日志), with points (加分/扣分)."""

    id: int
    hall: str
    day: date
    at: datetime
    author: str = Field(description="The operator who wrote it")
    chief: str | None = Field(description="Duty chief that day")
    kind: str = Field(description="note / incident / handover / points")
    text: str
    staff_id: str | None = Field(description="Whom points go to")
    window: str | None
    points: float


class CheckItemPublic(Public):
    """One seat of a duty check: the ledger's holder, the sensors, and the checklist."""

    id: int
    check_id: int
    seat: str
    window: str
    staff_id: str | None
    basis: str
    sensed_on_post: bool | None
    on_post: bool | None
    badge: bool | None
    sign: bool | None
    desk: bool | None
    note: str


class DutyCheckPublic(Public):
    """A random duty check of the day (POST-8); its time hidden from all but chiefs until due."""

    id: int
    hall: str
    day: date
    slot: int
    planned_at: datetime | None
    performed_at: datetime | None
    checked_by: str | None
    chief: str | None
    note: str
    overdue_alerted_at: datetime | None
    items: list[CheckItemPublic]


class DutyCheckShown(DutyCheckPublic):
    """A duty check as an operator may see it: `planned_at` null until due, but for chiefs."""

    due: bool = Field(description="Its time has come")


class DeviceProblemPublic(Public):
    """A device the opening check found not ready (DEV-1)."""

    device: str
    kind: str
    status: str
    reasons: list[str]


class OpeningReportPublic(Public):
    """The fleet's opening check report of the day (DEV-1)."""

    id: int
    hall: str
    day: date
    due_at: datetime | None
    checked_at: datetime | None
    checked: int
    ok: bool
    problems: list[DeviceProblemPublic]


class OpeningPublic(Public):
    """The day's opening check: the fleet's report and the duty chief's acknowledgement."""

    hall: str
    day: date
    due_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    chief: str | None = None
    problems: list[DeviceProblemPublic] = Field(
        default_factory=list, description="What the chief acknowledged"
    )
    note: str = ""
    alerted_at: datetime | None = None
    report: OpeningReportPublic | None


class ArrivalPublic(Public):
    """Arriving early before opening (ATT-12), per rostered staff-day."""

    staff_id: str
    day: date
    chief: bool = Field(description="The duty chief of the day")
    first_punch: datetime | None
    minutes_before: float | None
    verdict: str
    needed_min: int
    rule: str


class ReasonPublic(Public):
    """One reason of a refusal: its catalogue key, values and the sentence in the reader's words."""

    key: str
    text: str
    values: dict[str, Any] | None = None
    line: int | None = Field(default=None, description="A roster file's line")
    error: bool | None = Field(default=None, description="A roster issue: an error, not a warning")


class FieldErrorPublic(Public):
    """A request field that does not validate (FastAPI's form)."""

    loc: list[str | int]
    msg: str
    type: str


class RefusedPublic(Public):
    """A 422: the rules' reasons, the fields that do not validate, or one sentence."""

    detail: list[ReasonPublic | FieldErrorPublic] | str
