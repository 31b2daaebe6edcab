"""Gallery sync: build each hall's gallery version, push it to its face terminals, erase.

A version is the hall's active staff and their templates, encrypted with the hall key and
checksummed (models/face.py). Every face terminal of the hall gets SyncGallery through
the CommandSender and answers GalleryHeld; removing a staff member deletes their templates on
the hub, sends EraseTemplate to every terminal of the hall, then the new version. The
projector records GalleryHeld / TemplateErased per terminal and re-sends the current gallery
(and unconfirmed erasures) to a terminal that reports an older version, e.g. after being
offline (rule PRIV-1: the erasure is confirmed by every terminal).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from hub.commands import CommandSender
from hub.db import session_scope
from hub.ingest.hooks import IngestBatch
from hub.staff.crypto import decrypt_template, hall_key
from hub.staff.tables import FaceGallery, FaceTemplate, Staff, TemplateErasure, TerminalGallery
from models.commands import EraseTemplate, SyncGallery
from models.devices import face_terminal
from models.envelope import Envelope
from models.events import EventType, GalleryHeld, TemplateErased
from models.face import GalleryPerson, build_gallery
from models.layout import Hall

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Removed:
    """What removing a staff member did."""

    staff_id: str
    hall: str
    templates_erased: int
    terminals: list[str]
    gallery_version: int


def _now() -> datetime:
    return datetime.now(UTC)


class GallerySync:
    """Builds hall galleries and keeps the face terminals in step."""

    def __init__(
        self,
        engine: Engine,
        master_key: bytes | None,
        halls: Sequence[Hall],
        sender: CommandSender | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.engine = engine
        self.master_key = master_key
        self.halls = {h.id: h for h in halls}
        self.sender = sender
        self.clock = clock

    def terminals(self, hall: str) -> list[str]:
        """The face terminals of a hall, from its layout."""
        layout = self.halls.get(hall)
        return (
            [] if layout is None else [d.id for d in layout.devices if d.kind == face_terminal.KIND]
        )

    def _key(self) -> bytes:
        if self.master_key is None:
            raise RuntimeError("no face key on the hub: set HK_FACE_KEY or HK_FACE_KEY_FILE")
        return self.master_key

    def build(self, hall: str) -> FaceGallery:
        """Build and store the next gallery version of a hall (replacing the previous one)."""
        key = self._key()
        with session_scope(self.engine) as s:
            staff = s.exec(select(Staff).where(Staff.hall == hall, col(Staff.active))).all()
            people = []
            for member in sorted(staff, key=lambda m: m.staff_id):
                rows = s.exec(
                    select(FaceTemplate).where(FaceTemplate.staff_id == member.staff_id)
                ).all()
                if rows:
                    people.append(
                        GalleryPerson(
                            member.staff_id,
                            member.name,
                            tuple(
                                tuple(float(x) for x in decrypt_template(key, r.template))
                                for r in rows
                            ),
                        )
                    )
            current = s.get(FaceGallery, hall)
            version = 1 if current is None else current.version + 1
            blob, checksum = build_gallery(version, people, hall_key(key, hall))
            row = current or FaceGallery(
                hall=hall,
                version=version,
                checksum=checksum,
                count=len(people),
                blob=blob,
                built_at=self.clock(),
            )
            row.version, row.checksum, row.count, row.blob = version, checksum, len(people), blob
            row.built_at = self.clock()
            s.add(row)
        logger.info("face gallery of %s: version %d, %d people", hall, version, len(people))
        return row

    def publish(self, hall: str) -> FaceGallery:
        """Build the next version and send it to every face terminal of the hall."""
        gallery = self.build(hall)
        for device in self.terminals(hall):
            self.send_gallery(gallery, device)
        return gallery

    def send_gallery(self, gallery: FaceGallery, device: str) -> None:
        """Send one gallery version to one terminal."""
        if self.sender is not None:
            self.sender.send(
                gallery.hall,
                device,
                SyncGallery(version=gallery.version, checksum=gallery.checksum, blob=gallery.blob),
            )

    def remove(self, staff_id: str) -> Removed:
        """Erase a staff member's templates on the hub and on every terminal (rule PRIV-1)."""
        with session_scope(self.engine) as s:
            member = s.get(Staff, staff_id)
            if member is None:
                raise LookupError(f"no staff member {staff_id!r}")
            hall = member.hall
            n = len(s.exec(select(FaceTemplate).where(FaceTemplate.staff_id == staff_id)).all())
            s.exec(delete(FaceTemplate).where(col(FaceTemplate.staff_id) == staff_id))
            member.active = False
            s.add(member)
        gallery = self.build(hall)
        devices = self.terminals(hall)
        with session_scope(self.engine) as s:
            for device in devices:
                row = s.get(TemplateErasure, (hall, device, staff_id)) or TemplateErasure(
                    hall=hall,
                    device=device,
                    staff_id=staff_id,
                    gallery_version=gallery.version,
                    requested_at=self.clock(),
                )
                row.gallery_version, row.requested_at = gallery.version, self.clock()
                row.confirmed_at = None
                s.add(row)
        for device in devices:
            if self.sender is not None:
                self.sender.send(
                    hall, device, EraseTemplate(staff_id=staff_id, gallery_version=gallery.version)
                )
            self.send_gallery(gallery, device)
        logger.info(
            "staff %s removed: %d templates erased, %d terminals asked", staff_id, n, len(devices)
        )
        return Removed(staff_id, hall, n, devices, gallery.version)

    def status(self, hall: str | None = None) -> list[dict[str, Any]]:
        """Per hall: the current version, what each terminal holds, and the erasures."""
        with Session(self.engine) as s:
            halls = sorted(set(self.halls) | {g.hall for g in s.exec(select(FaceGallery))})
            out = []
            for h in halls if hall is None else [hall]:
                g = s.get(FaceGallery, h)
                held = {
                    t.device: t
                    for t in s.exec(select(TerminalGallery).where(TerminalGallery.hall == h))
                }
                terminals = []
                for device in sorted(set(self.terminals(h)) | set(held)):
                    t = held.get(device)
                    terminals.append(
                        {
                            "device": device,
                            "version": t.version if t else None,
                            "count": t.count if t else None,
                            "reported_at": t.reported_at.isoformat() if t else None,
                            "current": bool(
                                t and g and t.version == g.version and t.checksum == g.checksum
                            ),
                        }
                    )
                erasures = [
                    {
                        "staff_id": e.staff_id,
                        "device": e.device,
                        "gallery_version": e.gallery_version,
                        "requested_at": e.requested_at.isoformat(),
                        "confirmed_at": e.confirmed_at.isoformat() if e.confirmed_at else None,
                    }
                    for e in s.exec(
                        select(TemplateErasure)
                        .where(TemplateErasure.hall == h)
                        .order_by(col(TemplateErasure.staff_id), col(TemplateErasure.device))
                    )
                ]
                out.append(
                    {
                        "hall": h,
                        "version": g.version if g else None,
                        "checksum": g.checksum if g else None,
                        "count": g.count if g else 0,
                        "terminals": terminals,
                        "erasures": erasures,
                    }
                )
            return out


class GalleryProjector:
    """Records GalleryHeld and TemplateErased per terminal (hub.ingest.hooks.Projector)."""

    name = "staff_gallery"
    facts = frozenset({EventType.GALLERY_HELD, EventType.TEMPLATE_ERASED})
    """Durable lane (hub.ingest.lane): no erasure confirmation (PRIV-1) is lost."""

    @staticmethod
    def fact_key(env: Envelope) -> str:
        """What one terminal holds is applied in order; terminals never wait for each other."""
        return f"{env.hall}/{env.device}"

    def __init__(self, sync: GallerySync | None = None) -> None:
        self.sync = sync

    def project(self, engine: Engine, batch: IngestBatch) -> None:
        """Upsert what each terminal holds; confirm erasures; re-send to a stale terminal."""
        stale: list[tuple[str, str]] = []
        with session_scope(engine) as s:
            for env in batch.events:
                if env.type is EventType.GALLERY_HELD and isinstance(env.body, GalleryHeld):
                    row = s.get(TerminalGallery, (env.hall, env.device)) or TerminalGallery(
                        hall=env.hall,
                        device=env.device,
                        version=0,
                        checksum="",
                        count=0,
                        reported_at=env.ts,
                    )
                    row.version, row.checksum = env.body.version, env.body.checksum
                    row.count, row.reported_at = env.body.count, env.ts
                    s.add(row)
                    current = s.get(FaceGallery, env.hall)
                    if current is not None and env.body.version < current.version:
                        stale.append((env.hall, env.device))
                elif env.type is EventType.TEMPLATE_ERASED and isinstance(env.body, TemplateErased):
                    key = (env.hall, env.device, env.body.staff_id)
                    erasure = s.get(TemplateErasure, key) or TemplateErasure(
                        hall=env.hall,
                        device=env.device,
                        staff_id=env.body.staff_id,
                        gallery_version=env.body.gallery_version,
                        requested_at=env.ts,
                    )
                    erasure.confirmed_at = env.ts
                    s.add(erasure)
        if self.sync is not None and self.sync.sender is not None:
            for hall, device in stale:
                self._resend(engine, hall, device)

    def _resend(self, engine: Engine, hall: str, device: str) -> None:
        assert self.sync is not None and self.sync.sender is not None
        with Session(engine) as s:
            gallery = s.get(FaceGallery, hall)
            pending = s.exec(
                select(TemplateErasure).where(
                    TemplateErasure.hall == hall,
                    TemplateErasure.device == device,
                    col(TemplateErasure.confirmed_at).is_(None),
                )
            ).all()
        for e in pending:
            self.sync.sender.send(
                hall, device, EraseTemplate(staff_id=e.staff_id, gallery_version=e.gallery_version)
            )
        if gallery is not None:
            logger.info(
                "terminal %s/%s holds an old gallery; sending version %d",
                hall,
                device,
                gallery.version,
            )
            self.sync.send_gallery(gallery, device)
