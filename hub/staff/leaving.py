"""A staff member leaves the hall: their last day kept for attendance, their face erased everywhere.

Leaving records the last day (attendance judges nobody after it, and keeps judging the days
before it: a removed member without a last day vanished from the month's report), makes the
member inactive, cancels enrollments still waiting at a terminal (a token issued before would
otherwise bring the person back), and erases their templates on the hub and every terminal
(rule PRIV-1, `GallerySync.remove`). A member who left already is refused (a second leave
moved the last day later, and the days between were judged 旷工); so is a last day still to
come or before their first day. Coming back is a new enrollment (hub.staff.enroll).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, delete, select, update

from hub.db import session_scope
from hub.problems import InvalidProblem, NotFoundProblem, Problem
from hub.staff.gallery_sync import GallerySync, Removed
from hub.staff.tables import EnrollmentRequest, FaceTemplate, Staff
from models.layout import Hall

logger = logging.getLogger(__name__)

DEFAULT_ZONE = str(Hall.model_fields["timezone"].default)
"""The zone that decides the day when a hall's layout is not at hand."""


class AlreadyLeft(Problem):
    """The staff member left the hall already (409)."""


def local_day(at: datetime, zone: str = DEFAULT_ZONE) -> date:
    """The hall's calendar day of an instant."""
    return at.astimezone(ZoneInfo(zone)).date()


def hall_day(sync: GallerySync, hall: str, at: datetime) -> date:
    """The calendar day of an instant in a hall the hub serves (its layout's zone)."""
    layout = sync.halls.get(hall)
    return local_day(at, layout.timezone if layout else DEFAULT_ZONE)


def leave_hall(sync: GallerySync, staff_id: str, last_day: date | None = None) -> Removed:
    """The staff member leaves after `last_day` (default: today in the hall); see the module."""
    now = sync.clock()
    with session_scope(sync.engine) as s:
        member = s.get(Staff, staff_id)
        if member is None:
            raise NotFoundProblem("staff.unknown", staff_id=staff_id)
        today = hall_day(sync, member.hall, now)
        if not member.active:
            raise AlreadyLeft("staff.already_left", staff_id=staff_id, day=member.leave_date)
        last = last_day or today
        first = member.start_date or local_day(member.created_at)
        if last > today:
            raise InvalidProblem("staff.leave_future", field="leave_date", day=today)
        if last < first:
            raise InvalidProblem("staff.leave_before_start", field="leave_date", day=first)
        member.leave_date = last
        hall_id = member.hall
        s.add(member)
        s.exec(
            update(EnrollmentRequest)
            .where(
                col(EnrollmentRequest.staff_id) == staff_id,
                col(EnrollmentRequest.status) == "pending",
            )
            .values(status="failed", detail="the staff member left the hall", finished_at=now)
        )
    if sync.master_key is not None:
        return replace(sync.remove(staff_id), left_on=last)
    # no face key on this hub: nothing was enrolled through it; the rows go all the same
    with session_scope(sync.engine) as s:
        n = len(s.exec(select(FaceTemplate).where(FaceTemplate.staff_id == staff_id)).all())
        s.exec(delete(FaceTemplate).where(col(FaceTemplate.staff_id) == staff_id))
        member = s.get(Staff, staff_id)
        assert member is not None
        member.active = False
        s.add(member)
    logger.warning("staff %s left without a face key on the hub: terminals not asked", staff_id)
    return Removed(staff_id, hall_id, n, [], 0, last)
