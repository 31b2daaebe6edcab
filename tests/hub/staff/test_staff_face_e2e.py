"""Done-when of issue 4 end to end: enroll on the hub, the gallery reaches the terminals, a
recorded clip of the enrolled person gives exactly one punch on the hub, a stranger none, a
terminal without broker keeps recognising (outbox), and removing the staff member is confirmed
by every terminal. Real HubServer (staff area), broker, and an edge Agent running both face
terminals of the demo hall on frame folders through OpenCV."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from edge.agent import Agent
from edge.drivers.face_terminal import FaceTerminalDriver
from edge.settings import AgentSettings
from hub.server import HubServer
from hub.settings import HubSettings
from hub.staff.crypto import hall_key
from models.layout import load_hall
from tests.edge.face.photos import GALLERY, PROBE, crop_frame, faces_of, letterbox, write_clip
from tests.support.broker import Broker

DEMO = Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo"


def poll(fetch: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if ok(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in time; last: {value!r}")
        time.sleep(0.1)


def face_hall(tmp_path: Path, clips: dict[str, Path]) -> Path:
    """The demo hall with only its two face terminals, each playing a recorded clip."""
    folder = tmp_path / "hall"
    (folder / "devices").mkdir(parents=True)
    shutil.copy(DEMO / "hall.toml", folder / "hall.toml")
    for device, clip in clips.items():
        (folder / "devices" / f"{device}.toml").write_text(
            f'id = "{device}"\nkind = "face_terminal"\nnode = "pi-entrance"\n\n[settings]\n'
            f'backend = "simulated"\nsource = "{clip}"\nfps = 5\nrealtime = false\n'
            f'liveness = "off"\nkey_env = "HK_FACE_HALL_KEY"\n'
            f'gallery_path = "{tmp_path}/edge/face/{{device}}.gallery"\n',
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
def test_enrolled_clip_gives_one_punch_stranger_none_erasure_confirmed(
    broker: Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rules ATT-1, PRIV-1
    master = Fernet.generate_key()
    monkeypatch.setenv("HK_FACE_KEY", master.decode())
    monkeypatch.setenv("HK_FACE_HALL_KEY", hall_key(master, "demo").decode())
    shots = [letterbox(PROBE / "obama1.jpg"), letterbox(GALLERY / "obama" / "obama2.jpg")]
    photo = PROBE / "obama_and_biden.jpg"
    stranger = crop_frame(photo, faces_of(str(photo))[2].box)
    hall_dir = face_hall(
        tmp_path,
        {
            "ent-face1": write_clip(tmp_path / "clip1", [shots[0]] * 4),
            "ent-face2": write_clip(tmp_path / "clip2", [stranger] * 6),
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
            auth_required=False,  # these tests are about the hub, not its logins
            client_id=f"hk-face-{uuid.uuid4().hex[:6]}",
            batch_ms=5,
            push_config_on_start=False,
        ),
        area_modules=["hub.staff.area"],
    ).start()
    agent = None
    try:
        api = httpx.Client(base_url=hub.api_url, timeout=60)
        files = [
            ("photos", (p.name, p.read_bytes(), "image/jpeg"))
            for p in sorted((GALLERY / "obama").iterdir())
        ]
        enrolled = api.post(
            "/api/staff/enroll", data={"staff_id": "obama", "name": "奥巴马"}, files=files
        )
        assert enrolled.status_code == 201, enrolled.text
        assert enrolled.json()["gallery_version"] == 1

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
        # each terminal reports version 0, the hub sends it version 1, the clips then play
        status = poll(
            lambda: api.get("/api/staff/gallery").json()[0],
            lambda s: all(t["current"] for t in s["terminals"]),
        )
        assert [t["count"] for t in status["terminals"]] == [1, 1]
        drivers = [agent.runtime(d).driver for d in ("ent-face1", "ent-face2")]
        assert all(isinstance(d, FaceTerminalDriver) for d in drivers)
        for d in drivers:
            assert d.join(timeout=120)

        punches = poll(
            lambda: rows(db_url, "select device, body from event where type = 'punch'"),
            lambda r: len(r) >= 1,
        )
        unknown = poll(
            lambda: rows(db_url, "select device, body from event where type = 'unknown_face'"),
            lambda r: len(r) >= 1,
        )
        poll(lambda: agent.outbox.depth() if agent.outbox else 0, lambda n: n == 0)
        punches = rows(db_url, "select device, body from event where type = 'punch'")
        assert len(punches) == 1 and punches[0][0] == "ent-face1"
        assert '"staff_id":"obama"' in punches[0][1]
        assert [u[0] for u in unknown] == ["ent-face2"] and "staff_id" not in unknown[0][1]
        assert "奥巴马 打卡成功" in drivers[0].feedback.shown

        # offline: with the broker gone, a restarted terminal recognises against the gallery it
        # holds on disk; the punch waits in the outbox and reaches the hub once the broker is back
        agent.stop()
        broker.kill()
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
        offline = agent.runtime("ent-face1").driver
        assert isinstance(offline, FaceTerminalDriver) and offline.join(timeout=120)
        assert offline.feedback.shown.count("奥巴马 打卡成功") == 1
        assert agent.outbox is not None and agent.outbox.depth("ent-face1") >= 2  # held + punch
        broker.start()
        poll(
            lambda: rows(db_url, "select count(*) from event where type = 'punch'")[0][0],
            lambda n: n == 2,
        )

        removed = api.delete("/api/staff/obama")
        assert removed.status_code == 200 and removed.json()["terminals"] == [
            "ent-face1",
            "ent-face2",
        ]
        status = poll(
            lambda: api.get("/api/staff/gallery").json()[0],
            lambda s: (
                all(e["confirmed_at"] for e in s["erasures"])
                and all(t["current"] for t in s["terminals"])
            ),
        )
        assert [(e["device"], e["staff_id"]) for e in status["erasures"]] == [
            ("ent-face1", "obama"),
            ("ent-face2", "obama"),
        ]
        assert [t["count"] for t in status["terminals"]] == [0, 0]
        listed = api.get("/api/staff").json()
        assert listed == [
            {
                "staff_id": "obama",
                "name": "奥巴马",
                "hall": "demo",
                "unit": "",
                "window": None,
                "active": False,
                "templates": 0,
            }
        ]
    finally:
        if agent is not None:
            agent.stop()
        hub.stop()
