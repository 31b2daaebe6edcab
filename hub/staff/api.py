"""Staff API (/api/staff): enroll with photos, list, remove (erasure), gallery status."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile, status
from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlmodel import Session, func, select

from hub.api.errors import catalogue_words
from hub.problems import (
    InvalidProblem,
    NotFoundProblem,
    TooLargeProblem,
    UnavailableProblem,
)
from hub.staff.enroll import EnrollmentRefused, enroll, hall_of
from hub.staff.gallery_sync import GallerySync
from hub.staff.leaving import leave_hall
from hub.staff.public import (
    EnrolledPublic,
    EnrollmentPublic,
    EnrollmentStartedPublic,
    GalleryStatusPublic,
    RemovedPublic,
    StaffPublic,
)
from hub.staff.tables import FaceTemplate, Staff
from hub.staff.terminal_enroll import EnrollmentRefused as TerminalEnrollmentRefused
from hub.staff.terminal_enroll import TerminalEnrollment

MAX_PHOTO_BYTES = 10 * 1024 * 1024

logger = logging.getLogger(__name__)


def photo_bytes(photos: Sequence[UploadFile]) -> list[tuple[str, bytes]]:
    """Each uploaded photo's name and bytes, read from memory (rule PRIV-1: hub.api.uploads);
    a photo over MAX_PHOTO_BYTES is refused (413, staff.photo_too_large)."""
    data = []
    for p in photos:
        content = p.file.read(MAX_PHOTO_BYTES + 1)
        if len(content) > MAX_PHOTO_BYTES:
            raise TooLargeProblem("staff.photo_too_large", photo=p.filename or "photo")
        data.append((p.filename or "photo", content))
    return data


class EnrollAtTerminal(BaseModel):
    """Enroll a staff member at one face terminal (the person stands in front of it)."""

    staff_id: str = PydanticField(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    name: str = PydanticField(min_length=1, max_length=64)
    device: str = PydanticField(min_length=1, max_length=63, description="Face terminal id")
    hall: str | None = None
    unit: str = PydanticField(default="", max_length=128)
    window: str | None = None
    templates: int = PydanticField(default=3, ge=1, le=8)


def refused_photos(request: Request, exc: EnrollmentRefused) -> dict[str, Any]:
    """An enrollment's refusal for a program: what happened, what to do and each photo's
    reason (`photo.<code>`), in the language asked for (?lang=, the cookie, else zh-CN)."""

    def say(key: str) -> str:
        return catalogue_words(request, key, {}) or key

    return {
        "code": "staff.enroll_refused",
        "message": say("staff.enroll_refused.why"),
        "todo": say("staff.enroll_refused.todo"),
        "problems": [
            {"photo": p.photo, "code": p.code, "message": say(f"photo.{p.code}")}
            for p in exc.problems
        ],
    }


def make_router(
    sync: GallerySync,
    at_terminals: TerminalEnrollment | None = None,
    *,
    keep_photos_default: bool = False,
) -> APIRouter:
    """The staff router, bound to one GallerySync (its engine, key, halls and sender)."""
    router = APIRouter(prefix="/api/staff", tags=["staff"])
    enrollments = at_terminals or TerminalEnrollment(sync)

    def _hall(hall: str | None) -> str:
        if hall is None:
            if len(sync.halls) != 1:
                raise InvalidProblem("error.name_hall", field="hall")
            return next(iter(sync.halls))
        if hall not in sync.halls:
            raise InvalidProblem("error.unknown_hall", field="hall")
        return hall

    @router.post(
        "/enrollments", status_code=status.HTTP_201_CREATED, response_model=EnrollmentStartedPublic
    )
    def enroll_at_terminal(request: EnrollAtTerminal) -> dict[str, Any]:
        """Start enrollment at a terminal: a one-time token goes to it; no photo comes back."""
        hall = _hall(request.hall)
        try:
            return enrollments.start(
                staff_id=request.staff_id,
                name=request.name,
                device=request.device,
                hall=hall,
                unit=request.unit,
                window=request.window,
                templates=request.templates,
            )
        except TerminalEnrollmentRefused:
            raise  # a Problem: worded (no face key, not a face terminal of the hall)

    @router.get("/enrollments/{enrollment_id}", response_model=EnrollmentPublic)
    def enrollment_state(enrollment_id: str) -> dict[str, Any]:
        """pending, done or failed (with why)."""
        state = enrollments.get(enrollment_id)
        if state is None:
            raise NotFoundProblem("staff.err.no_enrollment")  # the URL is not echoed
        return state

    @router.post("/enroll", status_code=status.HTTP_201_CREATED, response_model=EnrolledPublic)
    def enroll_staff(
        staff_id: Annotated[str, Form(pattern=r"^[A-Za-z0-9_.-]{1,64}$")],
        name: Annotated[str, Form(min_length=1, max_length=64)],
        photos: Annotated[list[UploadFile], File(description="One or more face photos")],
        hall: Annotated[str | None, Form()] = None,
        unit: Annotated[str, Form(max_length=128)] = "",
        window: Annotated[str | None, Form()] = None,
        keep_photos: Annotated[bool | None, Form(description="Keep encrypted photos")] = None,
        *,
        http: Request,
    ) -> EnrolledPublic:
        """Check every photo, store encrypted templates, push the new gallery to terminals."""
        hall = _hall(hall)
        if sync.master_key is None:
            raise UnavailableProblem("staff.no_face_key")
        data = photo_bytes(photos)
        old_hall = hall_of(sync.engine, staff_id)
        try:
            result = enroll(
                sync.engine,
                keys=sync.key_store(),
                staff_id=staff_id,
                name=name,
                hall=hall,
                photos=data,
                unit=unit,
                window=window,
                keep_photos=keep_photos_default if keep_photos is None else keep_photos,
            )
        except EnrollmentRefused as exc:  # each photo's reason in the catalogue's words
            raise HTTPException(422, refused_photos(http, exc)) from None
        gallery = sync.publish(hall)
        if old_hall is not None and old_hall != hall:
            sync.moved(staff_id, old_hall)  # rule PRIV-1: the old hall's copies are erased
        return EnrolledPublic(
            staff_id=result.staff_id,
            templates=result.templates,
            photos_kept=result.photos_kept,
            gallery_version=gallery.version,
        )

    @router.get("", response_model=list[StaffPublic])
    def list_staff() -> list[StaffPublic]:
        """Every staff member with the number of face templates held."""
        with Session(sync.engine) as s:
            counts = dict(
                s.exec(
                    select(FaceTemplate.staff_id, func.count()).group_by(FaceTemplate.staff_id)
                ).all()
            )
            return [
                StaffPublic(
                    staff_id=m.staff_id,
                    name=m.name,
                    hall=m.hall,
                    unit=m.unit,
                    window=m.window,
                    active=m.active,
                    templates=counts.get(m.staff_id, 0),
                )
                for m in s.exec(select(Staff).order_by(Staff.staff_id)).all()
            ]

    @router.delete("/{staff_id}", response_model=RemovedPublic)
    def remove_staff(staff_id: str, leave_date: date | None = None) -> RemovedPublic:
        """The staff member leaves the hall after `leave_date` (default today; judged up to
        it); their templates are erased here and on every terminal (rule PRIV-1)."""
        try:
            removed = leave_hall(sync, staff_id, leave_date)
        except RuntimeError as exc:  # no face key (a Problem: unknown, left, a day out of range)
            logger.warning("staff %s not removed: %s", staff_id, exc)
            raise UnavailableProblem("staff.no_face_key") from None
        return RemovedPublic(
            staff_id=removed.staff_id,
            hall=removed.hall,
            templates_erased=removed.templates_erased,
            terminals=removed.terminals,
            gallery_version=removed.gallery_version,
        )

    @router.get("/gallery", response_model=list[GalleryStatusPublic])
    def gallery_status(hall: str | None = None) -> list[dict[str, Any]]:
        """Which gallery version each terminal holds, and which erasures are confirmed."""
        return sync.status(hall)

    return router
