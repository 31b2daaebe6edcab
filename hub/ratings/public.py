"""What the ratings API returns (Public models, apart from the tables; no phone number in them)."""

from __future__ import annotations

from datetime import datetime

from hub.api.public import IsoDate, Public


class RatingPublic(Public):
    """A citizen's rating bound to the staff member who served (RATE-1, RATE-2)."""

    id: int
    event_id: str
    hall: str
    day: IsoDate
    window: str
    seat: str | None
    device: str
    ticket: str
    service: str | None
    staff_id: str | None
    shown_staff_id: str | None
    present_staff_id: str | None
    present_source: str | None
    mismatch: bool
    level: int | None
    attitude: int | None
    efficiency: int | None
    service_level: int | None
    case_no: str | None
    reason: str | None
    rated_at: datetime | None
    recorded_at: datetime | None


class RefusalPublic(Public):
    """A rating the hub refused, with the reason (nothing lost: it is kept here)."""

    id: int
    event_id: str
    hall: str
    device: str
    seat: str | None
    ticket: str | None
    level: int | None
    code: str
    detail: str
    rated_at: datetime | None
    recorded_at: datetime | None


class RatingAlertPublic(Public):
    """A ratings alert: staff mismatch (RATE-2), follow-up overdue (RATE-3), ..."""

    id: int
    hall: str
    kind: str
    rule: str
    ref: str
    window: str | None
    staff_id: str | None
    text: str
    at: datetime | None


class FollowupLogPublic(Public):
    """One audited step of a follow-up: who did what, when, with a note."""

    id: int
    followup_id: int
    at: datetime | None
    action: str
    actor: str
    note: str


class FollowupPublic(Public):
    """A follow-up task of a dissatisfied rating (RATE-3); whether a number is held, never it."""

    id: int
    rating_id: int
    hall: str
    window: str
    staff_id: str | None
    ticket: str
    level: int
    reason: str | None
    state: str
    assignee: str | None
    opened_at: datetime | None
    contact_due: datetime | None
    close_due: datetime | None
    assigned_at: datetime | None
    contacted_at: datetime | None
    closed_at: datetime | None
    audited_at: datetime | None
    outcome: str
    contact_erased_at: datetime | None
    attempts: int
    finding: str | None
    verified_at: datetime | None
    rectify_plan: str
    rectify_due: datetime | None
    rectifying_at: datetime | None
    rectified_at: datetime | None
    told_how: str | None
    has_contact: bool


class FollowupDetailPublic(FollowupPublic):
    """A follow-up task with its audit log."""

    log: list[FollowupLogPublic]


class ContactPublic(Public):
    """The citizen's number, opened for one call (logged; erased at closure, PRIV-1)."""

    phone: str


class SatisfactionPublic(Public):
    """Satisfaction of one group (staff, window, service, month): counts, shares, 0-100 index."""

    group: str
    key: str
    name: str
    total: int
    rated: int
    not_rated: int
    n5: int
    n4: int
    n3: int
    n2: int
    n1: int
    share5: float
    share4: float
    share3: float
    share2: float
    share1: float
    satisfied_share: float | None
    index: float | None


class ServiceStarPublic(Public):
    """A staff member's place in the quarterly service-star ranking (RATE-4)."""

    rank: int
    staff_id: str
    rated: int
    index: float
    satisfied_share: float
    dissatisfied: int
    star: bool
    eligible: bool
    name: str
    quarter: str


class RatingSettingsPublic(Public):
    """A hall's rating configuration: scheme and dimensions (RATE-1), follow-up deadlines in
    working days (RATE-3), reasons, the service star (RATE-4)."""

    scheme: str
    dimensions: list[str]
    dissatisfied_max: int
    contact_days: int
    rectify_days: int
    close_days: int
    reasons: dict[str, str]
    star_min_rated: int
    star_count: int
