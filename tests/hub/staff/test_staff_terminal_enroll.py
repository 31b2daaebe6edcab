"""Done-when of issue 20 point 2, on the real parts: a staff member enrolled at one terminal
punches at another terminal of the hall. Real HubServer (staff area), a private Mosquitto, an
edge Agent running both face terminals of the demo hall; the person at each terminal is a
performer (synthetic clips of a probe photo, edge/face/clips.py) who does what it is asked.
No photo leaves a terminal: the hub receives sealed templates only."""

from __future__ import annotations

import shutil
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlmodel import Session, col, select

from edge.agent import Agent
from edge.drivers.face_terminal import FaceTerminalDriver
from edge.face.clips import write_performer
from edge.settings import AgentSettings
from hub.commands import RecordingSender
from hub.ingest.hooks import IngestBatch
from hub.server import HubServer
from hub.settings import HubSettings
from hub.staff.crypto import hall_key
from hub.staff.enroll import store_enrollment
from hub.staff.gallery_sync import GallerySync
from hub.staff.keystore import KeyStore
from hub.staff.tables import FaceTemplate
from hub.staff.terminal_enroll import MAX_TEMPLATES, TerminalEnrollment
from models.commands import StartEnrollment
from models.envelope import make_envelope
from models.events import EnrollmentCaptured, TemplateOffered
from models.face import decrypt_template, seal_templates
from models.layout import load_hall
from tests.edge.face.photos import performance
from tests.hub.staff.test_staff_gallery_sync import SEQ, T0, Clock
from tests.support.broker import Broker
from tests.support.waiting import wait_until

DEMO = Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo"


def hall_with(tmp_path: Path, settings: dict[str, str]) -> Path:
    folder = tmp_path / "hall"
    (folder / "devices").mkdir(parents=True)
    shutil.copy(DEMO / "hall.toml", folder / "hall.toml")
    for device, extra in settings.items():
        (folder / "devices" / f"{device}.toml").write_text(
            f'id = "{device}"\nkind = "face_terminal"\nnode = "pi-entrance"\n\n[settings]\n'
            f'backend = "simulated"\nfps = 10\nrealtime = false\nkey_env = "HK_FACE_HALL_KEY"\n'
            f'gallery_path = "{tmp_path}/edge/face/{{device}}.gallery"\n{extra}',
            encoding="utf-8",
        )
    return folder


def rows(url: str, sql: str) -> list[Any]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql)))
    finally:
        engine.dispose()


@pytest.mark.usefixtures("migrated_hub_db")  # the hub starts on a migrated copy
def test_enrolled_at_one_terminal_punches_at_the_other(
    broker: Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rules ATT-1, PRIV-1
    master = Fernet.generate_key()
    monkeypatch.setenv("HK_FACE_KEY", master.decode())
    monkeypatch.setenv("HK_FACE_HALL_KEY", hall_key(master, "demo").decode())
    monkeypatch.setenv("HK_FACE_KEYSTORE", str(tmp_path / "face-keys.db"))
    person = write_performer(tmp_path / "obama", performance("obama"))
    hall_dir = hall_with(
        tmp_path,
        {
            # the enrolling terminal: the person turns left and right when asked
            "ent-face1": f'source = "{person}"\nloop = true\n',
            # the other terminal: the same person comes to punch, with the challenge on
            "ent-face2": f'source = "{person}"\nliveness = "challenge"\n',
        },
    )
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    hub = HubServer(
        HubSettings(
            database_url=db_url,
            broker_url=broker.url,
            hall_dirs=[hall_dir],
            host="127.0.0.1",
            port=0,
            secret_key="test-secret",
            auth_required=False,
            client_id=f"hk-face-{uuid.uuid4().hex[:6]}",
            batch_ms=5,
            push_config_on_start=False,
        ),
        area_modules=["hub.staff.area"],
    ).start()
    agent = None
    try:
        api = httpx.Client(base_url=hub.api_url, timeout=60)
        refused = api.post(
            "/api/staff/enrollments",
            json={"staff_id": "obama", "name": "奥巴马", "device": "w01-led"},
        )
        assert refused.status_code == 422 and refused.json()["code"] == "staff.err.not_a_terminal"
        agent = Agent(
            load_hall(hall_dir),
            "pi-entrance",
            AgentSettings(
                broker_url=broker.url,
                data_dir=tmp_path / "edge",
                clock_synced=True,
                heartbeat_s=3600,
                reconnect_max_s=1.0,
            ),
        ).start()
        wait_until(
            lambda: len(rows(db_url, "select * from event where type = 'gallery_held'")) >= 2,
            60,
            "both terminals reporting their (empty) galleries",
        )
        started = api.post(
            "/api/staff/enrollments",
            json={"staff_id": "obama", "name": "奥巴马", "device": "ent-face1"},
        )
        assert started.status_code == 201, started.text
        eid = started.json()["enrollment_id"]
        state = wait_until(
            lambda: (
                (s := api.get(f"/api/staff/enrollments/{eid}").json())["status"] != "pending" and s
            ),
            120,
            "the enrollment to finish",
        )
        assert state["status"] == "done", state
        first, second = (agent.runtime(d).driver for d in ("ent-face1", "ent-face2"))
        assert isinstance(first, FaceTerminalDriver) and isinstance(second, FaceTerminalDriver)
        assert "请略向左转头" in first.feedback.shown and "人脸采集完成" in first.feedback.shown
        # rule PRIV-1: what reached the hub is sealed templates, no image
        (body,) = rows(db_url, "select body from event where type = 'enrollment_captured'")[0]
        assert "templates" in body and "jpg" not in body.lower() and "\\xff\\xd8" not in body
        listed = api.get("/api/staff").json()
        assert listed[0]["staff_id"] == "obama" and listed[0]["templates"] >= 3
        punch = wait_until(
            lambda: rows(
                db_url,
                "select device, body from event where type = 'punch' and device = 'ent-face2'",
            ),
            120,
            "a punch at the other terminal",
        )
        at_second = [p[1] for p in punch if p[0] == "ent-face2"]
        assert at_second and '"staff_id":"obama"' in at_second[0]
        assert '"challenge":' in at_second[0]
    finally:
        if agent is not None:
            agent.stop()
        hub.stop()


def test_a_token_enrolls_once_only_its_person_at_its_terminal_before_it_expires(
    engine: sa.engine.Engine, tmp_path: Path
) -> None:
    # rule PRIV-1: a terminal cannot enroll anyone without the hub's one-time token
    master = Fernet.generate_key()
    sender = RecordingSender()
    clock = Clock()
    keys = KeyStore(tmp_path / "face-keys.db", master)
    sync = GallerySync(engine, master, [load_hall(DEMO)], sender, clock, keys=keys)
    te = TerminalEnrollment(sync)
    started = te.start(staff_id="s1", name="甲", device="ent-face1", hall="demo")
    (cmd,) = [b for _, _, b in sender.sent if isinstance(b, StartEnrollment)]
    sealed = seal_templates([np.full(128, 0.05)] * 3, hall_key(master, "demo"))

    def captured(device: str = "ent-face1", token: str = cmd.token, staff: str = "s1") -> object:
        body = EnrollmentCaptured(
            enrollment_id=cmd.enrollment_id, staff_id=staff, token=token, templates=sealed, count=3
        )
        return make_envelope(
            hall="demo", device=device, seq=next(SEQ), ts=T0, synced=True, body=body
        )

    def project(*envs: object) -> None:
        te.project(engine, IngestBatch(events=list(envs)))  # type: ignore[arg-type]

    project(captured(token="x" * 32), captured(device="ent-face2"), captured(staff="s2"))
    assert te.get(started["enrollment_id"])["status"] == "pending"  # type: ignore[index]
    assert keys.get("s1") is None
    project(captured())
    assert te.get(started["enrollment_id"])["status"] == "done"  # type: ignore[index]
    first_key = keys.get("s1")
    project(captured())  # the same token again: refused, the person keeps their key
    assert keys.get("s1") == first_key
    late = te.start(staff_id="s3", name="丙", device="ent-face2", hall="demo")
    cmd = [b for _, _, b in sender.sent if isinstance(b, StartEnrollment)][-1]
    clock.now = T0 + timedelta(minutes=11)
    project(captured(device="ent-face2", staff="s3", token=cmd.token))
    assert te.get(late["enrollment_id"])["status"] == "failed"  # type: ignore[index]
    assert keys.get("s3") is None
    keys.close()


def test_offered_templates_are_added_up_to_the_cap_keeping_the_enrollments(
    sqlite_engine: sa.engine.Engine, tmp_path: Path
) -> None:
    master = Fernet.generate_key()
    keys = KeyStore(tmp_path / "face-keys.db", master)
    sync = GallerySync(
        sqlite_engine, master, [load_hall(DEMO)], RecordingSender(), Clock(), keys=keys
    )
    store_enrollment(
        sqlite_engine,
        keys=keys,
        staff_id="s1",
        name="甲",
        hall="demo",
        encodings=[np.full(128, 0.01 * i) for i in range(3)],
        now=T0,
    )
    te = TerminalEnrollment(sync)
    hk = hall_key(master, "demo")

    def offer(value: float, hall: str = "demo") -> None:
        body = TemplateOffered(
            staff_id="s1", template=seal_templates([np.full(128, value)], hk), distance=0.3
        )
        env = make_envelope(
            hall=hall, device="ent-face1", seq=next(SEQ), ts=T0, synced=True, body=body
        )
        te.project(sqlite_engine, IngestBatch(events=[env]))

    for n in range(9):
        offer(0.5 + n / 100)
    offer(0.9, hall="north")  # another hall's terminal: not this hall's person, ignored
    with Session(sqlite_engine) as s:
        rows = s.exec(select(FaceTemplate).order_by(col(FaceTemplate.id))).all()
    values = [round(float(decrypt_template(keys.get("s1"), r.template)[0]), 2) for r in rows]
    assert len(values) == MAX_TEMPLATES
    assert values[:3] == [0.0, 0.01, 0.02]  # the enrollment's own templates are kept
    assert values[3] == 0.52 and values[-1] == 0.58  # the two oldest offered were replaced
    keys.close()
