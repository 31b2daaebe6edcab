"""What the staff API returns (Public models, apart from the tables; no template ever leaves)."""

from __future__ import annotations

from datetime import datetime

from hub.api.public import Public


class StaffPublic(Public):
    """A staff member and how many face templates the hub holds for them."""

    staff_id: str
    name: str
    hall: str
    unit: str
    window: str | None
    active: bool
    templates: int


class EnrolledPublic(Public):
    """What an enrollment with photos stored, and the gallery version it made."""

    staff_id: str
    templates: int
    photos_kept: bool
    gallery_version: int


class RemovedPublic(Public):
    """A staff member removed: templates erased here, terminals told to erase (PRIV-1)."""

    staff_id: str
    hall: str
    templates_erased: int
    terminals: list[str]
    gallery_version: int


class EnrollmentStartedPublic(Public):
    """An enrollment at a terminal was asked for; its token went to the terminal only."""

    enrollment_id: str
    expires_at: datetime


class EnrollmentPublic(Public):
    """An enrollment at a terminal: pending, done or failed (with why); never its token."""

    enrollment_id: str
    staff_id: str
    hall: str
    device: str
    status: str
    detail: str
    expires_at: str
    finished_at: str | None


class TerminalGalleryPublic(Public):
    """The gallery one face terminal holds, and the erasures it has not confirmed."""

    device: str
    version: int | None
    count: int | None
    reported_at: str | None
    current: bool
    erasures_pending: int
    next_retry_at: datetime | None


class ErasurePublic(Public):
    """One terminal's erasure of one staff member's templates (PRIV-1) and its delivery."""

    staff_id: str
    device: str
    erasure_id: str
    gallery_version: int
    requested_at: str
    attempts: int
    last_sent_at: str | None
    next_try_at: str | None
    confirmed_at: str | None


class GalleryStatusPublic(Public):
    """A hall's face gallery: its version, what each terminal holds, the erasures."""

    hall: str
    version: int | None
    checksum: str | None
    count: int
    terminals: list[TerminalGalleryPublic]
    erasures: list[ErasurePublic]
