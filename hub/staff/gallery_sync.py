"""Gallery sync: build each hall's gallery version, push it to its face terminals, erase.

A version is the hall's active staff and their template tokens (each under the person's key),
encrypted with the hall key and checksummed (models/face.py); the person keys go with every
send, sealed under the hall key, read from the key store at that moment and never stored with
the gallery. Every face terminal of the hall gets SyncGallery through the CommandSender and
answers GalleryHeld.

Erasure (rule PRIV-1): removing a staff member deletes their templates on the hub and destroys
their person key (every copy anywhere becomes unreadable), then asks every terminal of the hall
to erase them (EraseTemplate with an erasure id) and sends the new version. Re-enrolling a
person in another hall does the same for the old hall. A request not confirmed is sent again
with back-off (`retry_due`, run by the area's background timer) and shown per terminal in
`status`; only a TemplateErased carrying the request's erasure id confirms it, so the answer to
an older request never closes a newer one. A terminal reporting an older version gets the
current one (and its pending erasures) at once.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from hub.commands import CommandSender
from hub.db import session_scope
from hub.ingest.hooks import IngestBatch
from hub.staff.crypto import hall_key
from hub.staff.keystore import KeyStore, default_path
from hub.staff.tables import FaceGallery, FaceTemplate, Staff, TemplateErasure, TerminalGallery
from models.commands import EraseTemplate, SyncGallery
from models.devices import face_terminal
from models.envelope import Envelope
from models.events import EventType, GalleryHeld, TemplateErased
from models.face import SealedPerson, build_gallery, open_sealed, seal_keys
from models.layout import Hall

logger = logging.getLogger(__name__)

RETRY_BASE_S = 30.0
RETRY_CAP_S = 3600.0


def retry_delay(attempts: int, base_s: float = RETRY_BASE_S, cap_s: float = RETRY_CAP_S) -> float:
    """Seconds to wait after the `attempts`-th send before sending again (doubling, capped)."""
    return float(min(base_s * 2 ** max(attempts - 1, 0), cap_s))


@dataclass(frozen=True, slots=True)
class Removed:
    """What removing a staff member did."""

    staff_id: str
    hall: str
    templates_erased: int
    terminals: list[str]
    gallery_version: int
    left_on: date | None = None
    """The staff member's last day with the hall, when they left it (hub.staff.leaving)."""


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
        keys: KeyStore | None = None,
    ) -> None:
        self.engine = engine
        self.master_key = master_key
        self.halls = {h.id: h for h in halls}
        self.sender = sender
        self.clock = clock
        if keys is None and master_key is not None:
            keys = KeyStore(default_path(engine), master_key)
        self.keys = keys

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

    def hall_key(self, hall: str) -> bytes:
        """The hall's gallery key (needs the master key)."""
        return hall_key(self._key(), hall)

    def key_store(self) -> KeyStore:
        """The person key store (needs the master key)."""
        self._key()
        assert self.keys is not None
        return self.keys

    def build(self, hall: str) -> FaceGallery:
        """Build and store the next gallery version of a hall (replacing the previous one)."""
        key, keys = self._key(), self.key_store()
        with session_scope(self.engine) as s:
            staff = s.exec(select(Staff).where(Staff.hall == hall, col(Staff.active))).all()
            people = []
            for member in sorted(staff, key=lambda m: m.staff_id):
                rows = s.exec(
                    select(FaceTemplate).where(FaceTemplate.staff_id == member.staff_id)
                ).all()
                if rows and keys.get(member.staff_id) is not None:
                    people.append(
                        SealedPerson(
                            member.staff_id,
                            member.name,
                            tuple(r.template.decode("ascii") for r in rows),
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

    def sync_command(self, gallery: FaceGallery) -> SyncGallery:
        """The SyncGallery of a version, with the person keys its people have now."""
        hk = hall_key(self._key(), gallery.hall)
        sealed = open_sealed(gallery.blob, gallery.checksum, hk)
        keys = {
            p.staff_id: k
            for p in sealed.people
            if (k := self.key_store().get(p.staff_id)) is not None
        }
        return SyncGallery(
            version=gallery.version,
            checksum=gallery.checksum,
            blob=gallery.blob,
            keys=seal_keys(keys, hk),
        )

    def send_gallery(self, gallery: FaceGallery, device: str) -> None:
        """Send one gallery version to one terminal."""
        if self.sender is not None:
            self.sender.send(gallery.hall, device, self.sync_command(gallery))

    def remove(self, staff_id: str) -> Removed:
        """Erase a staff member's templates and key on the hub and every terminal (PRIV-1)."""
        with session_scope(self.engine) as s:
            member = s.get(Staff, staff_id)
            if member is None:
                raise LookupError(f"no staff member {staff_id!r}")
            hall = member.hall
            n = len(s.exec(select(FaceTemplate).where(FaceTemplate.staff_id == staff_id)).all())
            s.exec(delete(FaceTemplate).where(col(FaceTemplate.staff_id) == staff_id))
            member.active = False
            s.add(member)
        self.key_store().delete(staff_id)  # crypto-shredding: every copy is unreadable now
        gallery, devices = self.erase_in_hall(hall, staff_id)
        logger.info(
            "staff %s removed: %d templates erased, %d terminals asked", staff_id, n, len(devices)
        )
        return Removed(staff_id, hall, n, devices, gallery.version)

    def moved(self, staff_id: str, old_hall: str) -> list[str]:
        """A person re-enrolled in another hall: erase them on the old hall's terminals."""
        _, devices = self.erase_in_hall(old_hall, staff_id)
        logger.info(
            "staff %s left hall %s: erasure asked of %d terminals", staff_id, old_hall, len(devices)
        )
        return devices

    def erase_in_hall(self, hall: str, staff_id: str) -> tuple[FaceGallery, list[str]]:
        """New gallery version without the person, and an erasure request per terminal."""
        gallery = self.build(hall)
        devices = self.terminals(hall)
        now = self.clock()
        requests = []
        with session_scope(self.engine) as s:
            for device in devices:
                row = s.get(TemplateErasure, (hall, device, staff_id)) or TemplateErasure(
                    hall=hall,
                    device=device,
                    staff_id=staff_id,
                    gallery_version=gallery.version,
                    requested_at=now,
                )
                row.gallery_version, row.requested_at = gallery.version, now
                row.erasure_id = uuid.uuid4().hex
                row.confirmed_at = None
                row.attempts, row.last_sent_at = 1, now
                row.next_try_at = now + timedelta(seconds=retry_delay(1))
                s.add(row)
                requests.append((device, row.erasure_id))
        for device, erasure_id in requests:
            self.send_erasure(hall, device, staff_id, gallery.version, erasure_id)
            self.send_gallery(gallery, device)
        return gallery, devices

    def send_erasure(
        self, hall: str, device: str, staff_id: str, version: int, erasure_id: str
    ) -> None:
        """Ask one terminal to erase one person (the request named by `erasure_id`)."""
        if self.sender is not None:
            self.sender.send(
                hall,
                device,
                EraseTemplate(staff_id=staff_id, gallery_version=version, erasure_id=erasure_id),
            )

    def retry_due(self, now: datetime | None = None) -> int:
        """Send again every unconfirmed erasure whose time has come; how many were sent."""
        now = now or self.clock()
        with session_scope(self.engine) as s:
            due = s.exec(
                select(TemplateErasure).where(
                    col(TemplateErasure.confirmed_at).is_(None),
                    col(TemplateErasure.next_try_at).is_not(None),
                    col(TemplateErasure.next_try_at) <= now,
                )
            ).all()
            jobs = []
            for row in due:
                row.attempts += 1
                row.last_sent_at = now
                row.next_try_at = now + timedelta(seconds=retry_delay(row.attempts))
                s.add(row)
                jobs.append(
                    (
                        row.hall,
                        row.device,
                        row.staff_id,
                        row.gallery_version,
                        row.erasure_id,
                        row.attempts,
                    )
                )
        for hall, device, staff_id, version, erasure_id, attempts in jobs:
            logger.warning(
                "erasure of %s on %s/%s not confirmed: sending again (attempt %d)",
                staff_id,
                hall,
                device,
                attempts,
            )
            self.send_erasure(hall, device, staff_id, version, erasure_id)
            with Session(self.engine) as s:
                gallery = s.get(FaceGallery, hall)
            if gallery is not None:
                self.send_gallery(gallery, device)
        return len(jobs)

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
                erasures = s.exec(
                    select(TemplateErasure)
                    .where(TemplateErasure.hall == h)
                    .order_by(col(TemplateErasure.staff_id), col(TemplateErasure.device))
                ).all()
                terminals = []
                for device in sorted(set(self.terminals(h)) | set(held)):
                    t = held.get(device)
                    pending = [e for e in erasures if e.device == device and not e.confirmed_at]
                    terminals.append(
                        {
                            "device": device,
                            "version": t.version if t else None,
                            "count": t.count if t else None,
                            "reported_at": t.reported_at.isoformat() if t else None,
                            "current": bool(
                                t and g and t.version == g.version and t.checksum == g.checksum
                            ),
                            "erasures_pending": len(pending),
                            "next_retry_at": min(
                                (e.next_try_at for e in pending if e.next_try_at), default=None
                            ),
                        }
                    )
                out.append(
                    {
                        "hall": h,
                        "version": g.version if g else None,
                        "checksum": g.checksum if g else None,
                        "count": g.count if g else 0,
                        "terminals": terminals,
                        "erasures": [_erasure(e) for e in erasures],
                    }
                )
            return out


def _erasure(e: TemplateErasure) -> dict[str, Any]:
    def iso(v: datetime | None) -> str | None:
        return v.isoformat() if v else None

    return {
        "staff_id": e.staff_id,
        "device": e.device,
        "erasure_id": e.erasure_id,
        "gallery_version": e.gallery_version,
        "requested_at": e.requested_at.isoformat(),
        "attempts": e.attempts,
        "last_sent_at": iso(e.last_sent_at),
        "next_try_at": None if e.confirmed_at else iso(e.next_try_at),
        "confirmed_at": iso(e.confirmed_at),
    }


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
                    erasure = s.get(TemplateErasure, (env.hall, env.device, env.body.staff_id))
                    if erasure is None or env.body.erasure_id != erasure.erasure_id:
                        # rule PRIV-1: an answer to another (older) request closes nothing
                        logger.warning(
                            "terminal %s/%s confirmed erasure %s of %s: not the pending request",
                            env.hall,
                            env.device,
                            env.body.erasure_id,
                            env.body.staff_id,
                        )
                        continue
                    if erasure.confirmed_at is None:
                        erasure.confirmed_at = env.ts
                        s.add(erasure)
        if self.sync is not None and self.sync.sender is not None:
            for hall, device in stale:
                self._resend(engine, hall, device)

    def _resend(self, engine: Engine, hall: str, device: str) -> None:
        assert self.sync is not None
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
            self.sync.send_erasure(hall, device, e.staff_id, e.gallery_version, e.erasure_id)
        if gallery is not None:
            logger.info(
                "terminal %s/%s holds an old gallery; sending version %d",
                hall,
                device,
                gallery.version,
            )
            self.sync.send_gallery(gallery, device)


class ErasureRetry:
    """The staff area's timer: sends unconfirmed erasures again when their time has come."""

    def __init__(self, sync: GallerySync, tick_s: float = 5.0) -> None:
        self.sync = sync
        self.tick_s = tick_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> ErasureRetry:
        """Start the timer thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="erasure-retry", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                self.sync.retry_due()
            except Exception:  # the timer keeps running; the next tick tries again
                logger.exception("erasure retry failed")

    def stop(self) -> None:
        """Stop the timer (safe to call twice)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
