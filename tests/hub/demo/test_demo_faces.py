"""The demo hall's face terminals punch (issue 18 point 1): enrolled demo faces come at the
checkpoint times; one on time, one late and missing the afternoon stop (rules ATT-1, ATT-2)."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from edge.agent import Agent
from edge.settings import AgentSettings
from hub.demo.faces import DemoFaces, due, plan_visits
from hub.demo.run import DEMO_HALL
from hub.demo.seed import seed_staff
from hub.server import HubServer
from hub.settings import HubSettings
from hub.staff.crypto import hall_key
from models.layout import load_hall
from tests.support.broker import Broker
from tests.support.waiting import wait_until

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_visits_follow_the_checkpoints_on_time_late_and_missing() -> None:
    hall = load_hall(DEMO_HALL)
    day = datetime(2026, 12, 3, 7, 0, tzinfo=SHANGHAI)  # a Thursday in winter time
    people = [("S011", "obama", "ent-face1"), ("S021", "kit_harington", "ent-face2")]
    visits = plan_visits(hall, people, day)
    local = {
        (v.staff_id, v.checkpoint): v.at.astimezone(SHANGHAI).strftime("%H:%M") for v in visits
    }
    # wenshang-2021 winter: arrive by 08:30 and 13:30; stop no earlier than 12:00 and 17:30
    assert local[("S011", "AM_IN")] == "08:18" and local[("S011", "PM_IN")] == "13:18"
    assert local[("S011", "AM_OUT")] == "12:04" and local[("S011", "PM_OUT")] == "17:34"
    assert local[("S021", "AM_IN")] == "08:39" and local[("S021", "PM_IN")] == "13:39"  # late
    assert ("S021", "PM_OUT") not in local  # gone early: a missing punch
    # a demo started at 10:00: the morning arrivals are played at once only while their window
    # is open; visits of windows already closed stay missing
    at_ten = datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)
    play, missed = due(visits, at_ten)
    assert {(v.staff_id, v.checkpoint) for v in play} == {("S011", "AM_IN"), ("S021", "AM_IN")}
    assert missed == []
    play, missed = due(visits, datetime(2026, 12, 3, 11, 0, tzinfo=SHANGHAI))
    assert play == [] and {v.checkpoint for v in missed} == {"AM_IN"}


@pytest.mark.usefixtures("migrated_hub_db")  # the hub starts on a migrated copy
def test_a_demo_face_punches_at_its_terminal_after_the_asked_actions(
    broker: Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    master = Fernet.generate_key()
    monkeypatch.setenv("HK_FACE_KEY", master.decode())
    monkeypatch.setenv("HK_FACE_HALL_KEY", hall_key(master, "demo").decode())
    hall = load_hall(DEMO_HALL)
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    hub = HubServer(
        HubSettings(
            database_url=db_url,
            broker_url=broker.url,
            hall_dirs=[DEMO_HALL],
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
        assert hub.engine is not None
        seed_staff(hub.engine, hall)
        agent = Agent(
            hall,
            "pi-entrance",
            AgentSettings(
                broker_url=broker.url,
                data_dir=tmp_path / "edge",
                clock_synced=True,
                heartbeat_s=3600,
                reconnect_max_s=1.0,
            ),
            devices={"ent-face1", "ent-face2"},
        ).start()
        faces = DemoFaces(hall, [agent], hub, tmp_path)
        staff_id, face, device = faces.people()[0]
        faces.enroll()
        clip = faces.performer(face)
        assert faces.drivers[device].play(str(clip))
        engine = sa.create_engine(db_url)

        def punches_now() -> list[sa.Row[tuple[str, str]]]:
            with engine.connect() as conn:
                sql = "select device, body from event where type = 'punch'"
                return list(conn.execute(sa.text(sql)))  # type: ignore[arg-type]

        try:
            punches = wait_until(punches_now, 120, "the demo face's punch", step=0.5)
        finally:
            engine.dispose()
        shown = faces.drivers[device].feedback.shown  # type: ignore[attr-defined]
        assert "打卡成功" in shown[-1], shown
        assert punches[0][0] == device and f'"staff_id":"{staff_id}"' in punches[0][1]
        assert '"passed":true' in punches[0][1] and '"challenge":' in punches[0][1]
    finally:
        if agent is not None:
            agent.stop()
        hub.stop()
