"""Enrollment at a terminal and templates refreshed by terminals (rule PRIV-1: no photo).

`TerminalEnrollment.start`: an operator asks for a staff member to be enrolled at one face
terminal; the hub makes a one-time token (kept only as its sha256), valid `TOKEN_TTL`, and sends
StartEnrollment to that terminal. The terminal takes the templates (edge/face/enroll.py) and
sends EnrollmentCaptured with the token and the templates sealed under the hall key. The hub
stores them (under a new person key) only when the token is the one it issued, unused, not
expired, for that staff member at that terminal of that hall; then it publishes the hall's
gallery, so the person can punch at every terminal of the hall. A person enrolled before in
another hall is erased there. The hub needs no dlib for this path.

TemplateOffered: a terminal's confident recognition adds a template to the person (different
days, light and pose), up to `MAX_TEMPLATES`; beyond it the oldest added one is replaced, the
enrollment's own templates are kept.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.db import session_scope
from hub.ingest.hooks import IngestBatch
from hub.problems import InvalidProblem
from hub.staff.enroll import hall_of, store_enrollment
from hub.staff.gallery_sync import GallerySync
from hub.staff.leaving import hall_day
from hub.staff.tables import EnrollmentRequest, FaceTemplate, Staff
from models.commands import StartEnrollment
from models.envelope import Envelope
from models.events import EnrollmentCaptured, EnrollmentFailed, TemplateOffered
from models.face import GalleryError, encrypt_template, open_templates

logger = logging.getLogger(__name__)
TOKEN_TTL = timedelta(minutes=10)
MAX_TEMPLATES = 10
ENROLLED_KEPT = 3
"""The first templates of an enrollment, never replaced by refreshed ones."""


def token_hash(token: str) -> str:
    """What the hub keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def whole_templates(sealed: str, key: bytes, count: int) -> list[Any]:
    """The `count` encodings a terminal sealed, each finite; else GalleryError.

    A terminal that says three and seals thirty, or one that sends NaN (matching nobody, or
    everybody), is refused: the batch's other facts go on (rule PRIV-1).
    """
    encodings = open_templates(sealed, key)
    if len(encodings) != count:
        raise GalleryError(f"{len(encodings)} templates sealed, {count} announced")
    if not all(np.isfinite(e).all() for e in encodings):
        raise GalleryError("a template holds values that are not finite numbers")
    return encodings


class EnrollmentRefused(InvalidProblem, ValueError):
    """An enrollment that cannot start (unknown terminal, no face key): a catalogue key."""


class TerminalEnrollment:
    """Starts enrollments at terminals and takes in what terminals send back."""

    name = "staff_terminal_enrollment"

    def __init__(self, sync: GallerySync, clock: Callable[[], datetime] | None = None) -> None:
        self.sync = sync
        self.clock = clock or sync.clock

    def start(
        self,
        *,
        staff_id: str,
        name: str,
        device: str,
        hall: str,
        unit: str = "",
        window: str | None = None,
        templates: int = 3,
    ) -> dict[str, Any]:
        """Issue a one-time token and send StartEnrollment to the terminal."""
        if self.sync.master_key is None:
            raise EnrollmentRefused("staff.no_face_key")
        if device not in self.sync.terminals(hall):
            raise EnrollmentRefused("staff.err.not_a_terminal", field="device")
        token = secrets.token_urlsafe(24)
        now = self.clock()
        request = EnrollmentRequest(
            enrollment_id=uuid.uuid4().hex,
            token_hash=token_hash(token),
            staff_id=staff_id,
            name=name,
            hall=hall,
            device=device,
            unit=unit,
            window=window,
            requested_at=now,
            expires_at=now + TOKEN_TTL,
        )
        with session_scope(self.sync.engine) as s:
            s.add(request)
        if self.sync.sender is not None:
            self.sync.sender.send(
                hall,
                device,
                StartEnrollment(
                    enrollment_id=request.enrollment_id,
                    staff_id=staff_id,
                    name=name,
                    token=token,
                    expires_at=request.expires_at,
                    templates=templates,
                ),
            )
        return {"enrollment_id": request.enrollment_id, "expires_at": request.expires_at}

    def get(self, enrollment_id: str) -> dict[str, Any] | None:
        """An enrollment request's state (never its token)."""
        with Session(self.sync.engine) as s:
            r = s.get(EnrollmentRequest, enrollment_id)
            if r is None:
                return None
            return {
                "enrollment_id": r.enrollment_id,
                "staff_id": r.staff_id,
                "hall": r.hall,
                "device": r.device,
                "status": r.status,
                "detail": r.detail,
                "expires_at": r.expires_at.isoformat(),
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
            }

    # -- projector (hub.ingest.hooks.Projector) -------------------------------------------------
    def project(self, engine: Engine, batch: IngestBatch) -> None:
        """Take in captured enrollments, failures and offered templates."""
        for env in batch.events:
            body = env.body
            try:
                if isinstance(body, EnrollmentCaptured):
                    self._captured(env, body)
                elif isinstance(body, EnrollmentFailed):
                    self._finish(
                        body.enrollment_id, env, "failed", f"{body.reason}: {body.message}"
                    )
                elif isinstance(body, TemplateOffered):
                    self._offered(env, body)
            except GalleryError as exc:  # sealed wrongly, or not what it says: the next goes on
                logger.warning("face data from %s/%s refused: %s", env.hall, env.device, exc)

    def _captured(self, env: Envelope, body: EnrollmentCaptured) -> None:
        now = self.clock()
        with Session(self.sync.engine) as s:
            r = s.get(EnrollmentRequest, body.enrollment_id)
        problem = None
        if r is None or r.token_hash != token_hash(body.token):
            problem = "unknown enrollment or wrong token"
        elif r.status != "pending":
            problem = f"token already used ({r.status})"
        elif now > r.expires_at:
            problem = "token expired"
        elif (r.staff_id, r.hall, r.device) != (body.staff_id, env.hall, env.device):
            problem = "token issued for another person or terminal"
        if problem is not None or r is None:
            logger.warning(
                "enrollment %s from %s/%s refused: %s",
                body.enrollment_id,
                env.hall,
                env.device,
                problem,
            )
            if r is not None and r.status == "pending" and problem == "token expired":
                self._finish(r.enrollment_id, env, "failed", problem)
            return
        encodings = whole_templates(body.templates, self.sync.hall_key(env.hall), body.count)
        old_hall = hall_of(self.sync.engine, r.staff_id)
        store_enrollment(
            self.sync.engine,
            keys=self.sync.key_store(),
            staff_id=r.staff_id,
            name=r.name,
            hall=r.hall,
            encodings=encodings,
            unit=r.unit,
            window=r.window,
            now=now,
            first_day=hall_day(self.sync, r.hall, now),
        )
        self._finish(r.enrollment_id, env, "done", f"{len(encodings)} templates")
        self.sync.publish(r.hall)
        if old_hall is not None and old_hall != r.hall:
            self.sync.moved(r.staff_id, old_hall)  # rule PRIV-1
        logger.info("staff %s enrolled at %s/%s", r.staff_id, env.hall, env.device)

    def _finish(self, enrollment_id: str, env: Envelope, status: str, detail: str) -> None:
        with session_scope(self.sync.engine) as s:
            r = s.get(EnrollmentRequest, enrollment_id)
            if r is None or r.status != "pending" or r.device != env.device:
                return
            r.status, r.detail, r.finished_at = status, detail[:500], self.clock()
            s.add(r)

    def _offered(self, env: Envelope, body: TemplateOffered) -> None:
        (encoding,) = whole_templates(body.template, self.sync.hall_key(env.hall), 1)
        key = self.sync.key_store().get(body.staff_id)
        with session_scope(self.sync.engine) as s:
            member = s.get(Staff, body.staff_id)
            if key is None or member is None or not member.active or member.hall != env.hall:
                return
            rows = s.exec(
                select(FaceTemplate)
                .where(FaceTemplate.staff_id == body.staff_id)
                .order_by(col(FaceTemplate.id))
            ).all()
            if len(rows) >= MAX_TEMPLATES:
                s.delete(rows[ENROLLED_KEPT])  # the oldest refreshed template
            s.add(
                FaceTemplate(
                    staff_id=body.staff_id,
                    template=encrypt_template(key, encoding),
                    created_at=self.clock(),
                )
            )
        self.sync.publish(env.hall)
