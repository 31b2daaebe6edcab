"""Gallery sync on SQLite and PostgreSQL: build, push to every terminal, record, erase, resend."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.commands import RecordingSender
from hub.db import session_scope
from hub.ingest.hooks import IngestBatch
from hub.staff.crypto import encrypt_template, hall_key
from hub.staff.gallery_sync import GalleryProjector, GallerySync
from hub.staff.tables import FaceTemplate, Staff
from models.commands import EraseTemplate, SyncGallery
from models.envelope import make_envelope
from models.events import EventBody, GalleryHeld, TemplateErased
from models.face import open_gallery
from models.layout import load_hall

HALL_DIR = Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo"
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
SEQ = iter(range(1, 10_000))


def seed(engine: Engine, key: bytes, people: dict[str, int]) -> None:
    rng = np.random.default_rng(1)
    with session_scope(engine) as s:
        for staff_id, n in people.items():
            s.add(Staff(staff_id=staff_id, hall="demo", name=staff_id.upper(), created_at=T0))
            s.flush()
            for _ in range(n):
                s.add(
                    FaceTemplate(
                        staff_id=staff_id,
                        created_at=T0,
                        template=encrypt_template(key, rng.normal(size=128) * 0.1),
                    )
                )


def env(device: str, body: EventBody) -> object:
    return make_envelope(hall="demo", device=device, seq=next(SEQ), ts=T0, synced=True, body=body)


@pytest.fixture
def sync(engine: Engine) -> tuple[GallerySync, RecordingSender, bytes]:
    key = Fernet.generate_key()
    sender = RecordingSender()
    seed(engine, key, {"s1": 2, "s2": 1, "s3": 1})
    return GallerySync(engine, key, [load_hall(HALL_DIR)], sender, clock=lambda: T0), sender, key


def test_publish_sends_the_encrypted_version_to_every_face_terminal(sync: tuple) -> None:
    gs, sender, key = sync
    assert gs.terminals("demo") == ["ent-face1", "ent-face2"]
    gallery = gs.publish("demo")
    assert (gallery.version, gallery.count) == (1, 3)
    assert [(h, d) for h, d, _ in sender.sent] == [("demo", "ent-face1"), ("demo", "ent-face2")]
    body = sender.sent[0][2]
    assert isinstance(body, SyncGallery) and body.version == 1
    data = open_gallery(body.blob, body.checksum, hall_key(key, "demo"))
    assert [(p.staff_id, len(p.templates)) for p in data.people] == [
        ("s1", 2),
        ("s2", 1),
        ("s3", 1),
    ]
    assert gs.publish("demo").version == 2  # versions only go up


def test_projector_records_versions_and_confirms_erasures(sync: tuple, engine: Engine) -> None:
    gs, sender, _key = sync
    g1 = gs.publish("demo")
    projector = GalleryProjector(gs)
    projector.project(
        engine,
        IngestBatch(
            events=[
                env("ent-face1", GalleryHeld(version=1, checksum=g1.checksum, count=3)),
                env("ent-face2", GalleryHeld(version=1, checksum=g1.checksum, count=3)),
            ]
        ),
    )
    (status,) = gs.status("demo")
    assert [t["current"] for t in status["terminals"]] == [True, True]

    sender.sent.clear()
    removed = gs.remove("s2")  # rule PRIV-1
    assert (removed.templates_erased, removed.gallery_version) == (1, 2)
    with Session(engine) as s:
        assert s.exec(select(FaceTemplate).where(FaceTemplate.staff_id == "s2")).all() == []
    kinds = [(d, type(b).__name__) for _, d, b in sender.sent]
    assert kinds == [
        ("ent-face1", "EraseTemplate"),
        ("ent-face1", "SyncGallery"),
        ("ent-face2", "EraseTemplate"),
        ("ent-face2", "SyncGallery"),
    ]
    erase = sender.sent[0][2]
    assert isinstance(erase, EraseTemplate) and erase.staff_id == "s2"
    (status,) = gs.status("demo")
    assert status["version"] == 2 and status["count"] == 2
    assert [e["confirmed_at"] for e in status["erasures"]] == [None, None]
    assert [t["current"] for t in status["terminals"]] == [False, False]

    # ent-face1 confirms and holds v2; ent-face2 comes back from offline still on v1
    g2 = gs.status("demo")[0]
    sender.sent.clear()
    projector.project(
        engine,
        IngestBatch(
            events=[
                env("ent-face1", TemplateErased(staff_id="s2", gallery_version=2)),
                env("ent-face1", GalleryHeld(version=2, checksum=g2["checksum"], count=2)),
                env("ent-face2", GalleryHeld(version=1, checksum=g1.checksum, count=3)),
            ]
        ),
    )
    (status,) = gs.status("demo")
    confirmed = {e["device"]: e["confirmed_at"] for e in status["erasures"]}
    assert confirmed["ent-face1"] is not None and confirmed["ent-face2"] is None
    assert {t["device"]: t["current"] for t in status["terminals"]} == {
        "ent-face1": True,
        "ent-face2": False,
    }
    # the stale terminal is sent the pending erasure and the current gallery again
    assert [(d, type(b).__name__) for _, d, b in sender.sent] == [
        ("ent-face2", "EraseTemplate"),
        ("ent-face2", "SyncGallery"),
    ]
    with pytest.raises(LookupError):
        gs.remove("nobody")
