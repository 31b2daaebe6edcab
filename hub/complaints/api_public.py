"""What the complaints API returns (Public models, apart from the tables).

Sealed personal data (the complainant's name and number, PRIV-1) never leaves: each sealed
column shows only as `has_<column>`, and the status token as `has_status_link`, on every row
the API returns (store._shown).
"""

from __future__ import annotations

from datetime import datetime

from hub.api.public import Public


class Sealed(Public):
    """Whether the sealed values are held (never the values)."""

    has_name: bool
    has_contact: bool
    has_status_link: bool


class ComplaintLogPublic(Sealed):
    """One audited step of a complaint."""

    id: int
    complaint_id: int
    at: datetime | None
    action: str
    actor: str
    note: str


class ComplaintPublic(Sealed):
    """A complaint and its deadlines (DUTY-6)."""

    id: int
    hall: str
    ref: str
    channel: str
    received_at: datetime | None
    taken_by: str | None
    subject: str
    text: str
    happened_at: datetime | None
    window: str | None
    staff_id: str | None
    contact_erased_at: datetime | None
    state: str
    assignee: str | None
    acknowledge_due: datetime | None
    answer_due: datetime | None
    assigned_at: datetime | None
    investigating_at: datetime | None
    finding: str | None
    answer: str
    told_how: str | None
    answered_at: datetime | None
    closed_at: datetime | None


class ComplaintDetailPublic(ComplaintPublic):
    """A complaint with its audit log."""

    log: list[ComplaintLogPublic]


class CallbackPublic(Sealed):
    """A call-back task for a citizen whose matter could not be handled now (DEV-4)."""

    id: int
    hall: str
    source: str
    service: str | None
    note: str
    state: str
    opened_at: datetime | None
    due_at: datetime | None
    attempts: int
    result: str | None
    outcome: str
    done_at: datetime | None
    done_by: str | None
    contact_erased_at: datetime | None


class ComplaintAlertPublic(Sealed):
    """A missed complaint or call-back deadline (DUTY-6, DEV-4)."""

    id: int
    hall: str
    kind: str
    rule: str
    ref: str
    window: str | None
    text: str
    at: datetime | None


class ContactOpenedPublic(Public):
    """The complainant's name and number, opened to answer them (logged; PRIV-1)."""

    name: str | None = None
    phone: str | None = None


class ComplaintCountsPublic(Public):
    """One staff member's or window's complaints of a month."""

    received: int
    substantiated: int
    partly: int
    unfounded: int
    open: int
    overdue: int
    against: int
    refs: list[str]


class ComplaintAssessmentPublic(Public):
    """The month's complaints per staff member and window, for the assessment (DUTY-5)."""

    month: str
    by_staff: dict[str, ComplaintCountsPublic]
    by_window: dict[str, ComplaintCountsPublic]
    unattributed: ComplaintCountsPublic


class ComplaintSettingsPublic(Public):
    """A hall's complaint deadlines (working days) and public page limits."""

    acknowledge_days: int
    answer_days: int
    callback_days: int
    public_per_hour: int
    public_per_day_hall: int
