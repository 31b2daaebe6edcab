"""Gallery sync on SQLite and PostgreSQL: build, push to every terminal, record, erase, resend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.commands import RecordingSender
from hub.ingest.hooks import IngestBatch
from hub.staff.crypto import hall_key
from hub.staff.enroll import store_enrollment
from hub.staff.gallery_sync import GalleryProjector, GallerySync, retry_delay
from hub.staff.keystore import KeyStore
from hub.staff.tables import FaceTemplate
from models.commands import EraseTemplate, SyncGallery
from models.envelope import make_envelope
from models.events import EventBody, GalleryHeld, TemplateErased
from models.face import open_keys, open_sealed, readable
from models.layout import load_hall

HALL_DIR = Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo"
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
SEQ = iter(range(1, 10_000))


def seed(engine: Engine, keys: KeyStore, people: dict[str, int]) -> None:
    rng = np.random.default_rng(1)
    for staff_id, n in people.items():
        store_enrollment(
            engine,
            keys=keys,
            staff_id=staff_id,
            name=staff_id.upper(),
            hall="demo",
            encodings=[rng.normal(size=128) * 0.1 for _ in range(n)],
            now=T0,
        )


def env(device: str, body: EventBody) -> object:
    return make_envelope(hall="demo", device=device, seq=next(SEQ), ts=T0, synced=True, body=body)


@pytest.fixture
def sync(engine: Engine, tmp_path: Path) -> Iterator[tuple[GallerySync, RecordingSender, bytes]]:
    key = Fernet.generate_key()
    sender = RecordingSender()
    keys = KeyStore(tmp_path / "face-keys.db", key)
    seed(engine, keys, {"s1": 2, "s2": 1, "s3": 1})
    clock = Clock()
    gs = GallerySync(engine, key, [load_hall(HALL_DIR)], sender, clock=clock, keys=keys)
    yield gs, sender, key
    keys.close()


class Clock:
    """A settable clock for the retry schedule."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_publish_sends_the_encrypted_version_to_every_face_terminal(sync: tuple) -> None:
    gs, sender, key = sync
    assert gs.terminals("demo") == ["ent-face1", "ent-face2"]
    gallery = gs.publish("demo")
    assert (gallery.version, gallery.count) == (1, 3)
    assert [(h, d) for h, d, _ in sender.sent] == [("demo", "ent-face1"), ("demo", "ent-face2")]
    body = sender.sent[0][2]
    assert isinstance(body, SyncGallery) and body.version == 1
    hk = hall_key(key, "demo")
    data = readable(open_sealed(body.blob, body.checksum, hk), open_keys(body.keys, hk))
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
    ids = {d: b.erasure_id for _, d, b in sender.sent if isinstance(b, EraseTemplate)}
    assert ids["ent-face1"] != ids["ent-face2"]
    assert gs.key_store().get("s2") is None  # crypto-shredding: the person key is gone
    # the new gallery carries no key for s2: an old version re-sent cannot show s2 either
    sync_body = sender.sent[1][2]
    assert isinstance(sync_body, SyncGallery)
    assert set(open_keys(sync_body.keys, hall_key(_key, "demo"))) == {"s1", "s3"}
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
                # an answer without the request's id (or with an older one) confirms nothing
                env("ent-face2", TemplateErased(staff_id="s2", gallery_version=2)),
                env(
                    "ent-face2",
                    TemplateErased(staff_id="s2", gallery_version=1, erasure_id="older"),
                ),
                env(
                    "ent-face1",
                    TemplateErased(staff_id="s2", gallery_version=2, erasure_id=ids["ent-face1"]),
                ),
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


def test_unconfirmed_erasure_is_sent_again_with_back_off(sync: tuple, engine: Engine) -> None:
    gs, sender, _key = sync
    gs.publish("demo")
    gs.remove("s1")
    clock = gs.clock
    assert [retry_delay(n) for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]
    sender.sent.clear()
    assert gs.retry_due() == 0  # not yet due
    clock.now = T0 + timedelta(seconds=31)
    assert gs.retry_due() == 2  # both terminals, attempt 2
    assert [(d, type(b).__name__) for _, d, b in sender.sent] == [
        ("ent-face1", "EraseTemplate"),
        ("ent-face1", "SyncGallery"),
        ("ent-face2", "EraseTemplate"),
        ("ent-face2", "SyncGallery"),
    ]
    first = {d: b.erasure_id for _, d, b in sender.sent if isinstance(b, EraseTemplate)}
    (status,) = gs.status("demo")
    assert [e["attempts"] for e in status["erasures"]] == [2, 2]
    assert [t["erasures_pending"] for t in status["terminals"]] == [1, 1]
    assert status["terminals"][0]["next_retry_at"] == T0 + timedelta(seconds=31 + 60)
    GalleryProjector(gs).project(
        engine,
        IngestBatch(
            events=[
                env(
                    "ent-face1",
                    TemplateErased(staff_id="s1", gallery_version=2, erasure_id=first["ent-face1"]),
                )
            ]
        ),
    )
    sender.sent.clear()
    clock.now = T0 + timedelta(seconds=31 + 61)
    assert gs.retry_due() == 1  # only the terminal that has not confirmed
    assert {d for _, d, _ in sender.sent} == {"ent-face2"}
    (status,) = gs.status("demo")
    assert [t["erasures_pending"] for t in status["terminals"]] == [0, 1]


def test_reenrolling_in_another_hall_erases_the_old_halls_copies(
    sync: tuple, engine: Engine
) -> None:
    gs, sender, _key = sync
    gs.publish("demo")
    sender.sent.clear()
    # s3 is enrolled again in hall "north" (not served here): demo's terminals must erase s3
    store_enrollment(
        engine,
        keys=gs.key_store(),
        staff_id="s3",
        name="S3",
        hall="north",
        encodings=[np.zeros(128)],
        now=T0,
    )
    devices = gs.moved("s3", "demo")
    assert devices == ["ent-face1", "ent-face2"]
    erasures = [b for _, _, b in sender.sent if isinstance(b, EraseTemplate)]
    assert [e.staff_id for e in erasures] == ["s3", "s3"]
    (status,) = gs.status("demo")
    assert status["count"] == 2 and {e["staff_id"] for e in status["erasures"]} == {"s3"}
