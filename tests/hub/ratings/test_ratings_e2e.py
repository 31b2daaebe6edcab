"""End to end with a real broker: HubServer (queue + ratings areas) and the counter's edge agent
(keypad + rating device on pty peers). A finished service yields exactly one rating bound to
its ticket and staff; a mismatch of shown and present staff raises an alert; a dissatisfied
rating becomes a follow-up task; stray presses and garbled frames are refused, not lost."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa

from edge.agent import Agent
from edge.serialproto.rating import AskPhoneFrame, AskReasonFrame, PromptFrame, ShowFrame
from edge.settings import AgentSettings
from hub.attendance.calendar import WorkCalendar
from hub.compliance.tables import SeatAssignment
from hub.events.tables import Event
from hub.server import HubServer
from hub.settings import HubSettings
from hub.staff.tables import Staff
from models.contact import new_keypair
from models.envelope import make_envelope
from models.events import Liveness, Punch
from models.layout import Device, load_hall
from models.topics import Channel, build_topic
from tests.support.broker import Broker

DEMO = load_hall(Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo")
FACE = Device(id="w01-face", kind="face_terminal", node="pi-w01", window="w01")
EVENT = Event.__table__  # type: ignore[attr-defined]
HALL = DEMO.model_copy(update={"devices": [*DEMO.devices, FACE]})


def poll(fetch: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if ok(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in time; last: {value!r}")
        time.sleep(0.05)


def publish_punch(broker_url: str, staff: str) -> None:
    """The window's face terminal reports a punch (a real envelope on the real topic)."""
    env = make_envelope(
        hall=HALL.id,
        device=FACE.id,
        seq=1,
        ts=datetime.now(UTC),
        synced=True,
        body=Punch(staff_id=staff, distance=0.3, liveness=Liveness(passed=True)),
    )
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"face-{uuid.uuid4().hex[:6]}",
        protocol=mqtt.MQTTv5,
    )
    port = int(broker_url.rsplit(":", 1)[1])
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        client.publish(
            build_topic(HALL.id, FACE.id, Channel.EVT), env.to_json(), qos=1
        ).wait_for_publish(10)
    finally:
        client.loop_stop()
        client.disconnect()


@pytest.mark.usefixtures("migrated_hub_db")  # the hub starts on a migrated copy
def test_rating_device_through_the_hub(
    broker: Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rule RATE-1, RATE-2, RATE-3, DEV-4, PRIV-1
    private, public = new_keypair()
    monkeypatch.setenv("HK_CONTACT_KEY", private)  # the hub opens numbers to call
    monkeypatch.setenv("HK_CONTACT_PUBLIC_KEY", public)  # the Pi seals what is typed
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        broker_url=broker.url,
        hall_dirs=[],
        host="127.0.0.1",
        port=0,
        secret_key="test-secret",
        auth_required=False,  # these tests are about ratings, not logins
        client_id=f"hk-r-{uuid.uuid4().hex[:6]}",
        batch_ms=5,
    )
    hub = HubServer(settings, halls=[HALL], area_modules=["hub.queue.area", "hub.ratings.area"])
    hub.start()
    assert hub.engine is not None
    with hub.engine.begin() as conn:
        for sid, name in (("S0012", "王芳"), ("S0013", "李强")):
            conn.execute(
                sa.insert(Staff.__table__).values(  # type: ignore[attr-defined]
                    staff_id=sid,
                    hall=HALL.id,
                    name=name,
                    unit="",
                    active=True,
                    created_at=datetime.now(UTC),
                )
            )
        conn.execute(
            sa.insert(SeatAssignment.__table__).values(  # type: ignore[attr-defined]
                hall=HALL.id, seat="w01-a", window="w01", staff_id="S0012", role="A"
            )
        )
    edge = AgentSettings(
        broker_url=broker.url, data_dir=tmp_path / "edge", clock_synced=True, heartbeat_s=3600
    )
    agent = Agent(HALL, "pi-w01", edge, devices=["w01-keypad", "w01-rate"]).start()
    try:
        for rt in agent.runtimes.values():
            assert rt.session.wait_ready(20)
            poll(partial(getattr, rt, "config_version"), lambda v: v == 1)  # pushed config on
        api = httpx.Client(base_url=hub.api_url, timeout=10)
        keypad: Any = getattr(agent.runtime("w01-keypad").driver, "peer")  # noqa: B009
        rating: Any = getattr(agent.runtime("w01-rate").driver, "peer")  # noqa: B009
        (queue,) = [a.state["queues"][HALL.id] for a in hub.areas if a.name == "queue"]
        for _ in range(2):
            queue.issue("social")

        # A001: called -> the device shows 王芳 S0012 and the ticket; finished -> rated 5
        keypad.press("next")
        poll(lambda: rating.screen, lambda s: s == ShowFrame(1, "S0012", "王芳", "A001"))
        keypad.press("finish")
        prompt = poll(lambda: [f for f in rating.received if isinstance(f, PromptFrame)], bool)[0]
        national = ("overall", "attitude", "efficiency", "service_level")  # rule RATE-1
        assert prompt.dimensions == national
        for dim, level in zip(national, (5, 5, 4, 5), strict=True):
            rating.press(level, dim)
        rows = poll(lambda: api.get("/api/ratings").json(), lambda r: len(r) == 1)
        assert (rows[0]["ticket"], rows[0]["staff_id"], rows[0]["level"]) == ("A001", "S0012", 5)
        assert (rows[0]["efficiency"], rows[0]["service_level"]) == (4, 5)
        rating.press(3)  # a second press for the same service: refused, kept
        rating.write(b"\x5a\x04\x01\x20\x00\x05\x00")  # garbled: a device fault
        refusals = poll(lambda: api.get("/api/ratings/refusals").json(), bool)
        assert refusals[0]["code"] == "duplicate" and refusals[0]["ticket"] == "A001"

        # A002: shown with 王芳, then 李强 punches at the window and serves: mismatch (RATE-2)
        keypad.press("next")
        poll(lambda: rating.screen, lambda s: s is not None and s.ticket == "A002")
        publish_punch(broker.url, "S0013")

        def punches() -> int:
            with hub.engine.connect() as conn:  # type: ignore[union-attr]
                q = sa.select(sa.func.count()).select_from(EVENT).where(EVENT.c.type == "punch")
                return int(conn.execute(q).scalar() or 0)

        poll(punches, lambda n: n == 1)
        keypad.press("finish")
        for dim, level in zip(national, (1, 1, 2, 2), strict=True):
            rating.press(level, dim)  # 非常不满意: the device asks why
        poll(lambda: rating.received, lambda r: any(isinstance(f, AskReasonFrame) for f in r))
        rating.choose_reason(1)
        poll(lambda: rating.received, lambda r: any(isinstance(f, AskPhoneFrame) for f in r))
        rating.type_phone("13912345678")  # for the call back (RATE-3)
        rows = poll(lambda: api.get("/api/ratings").json(), lambda r: len(r) == 2)
        second = rows[1]
        assert (second["ticket"], second["staff_id"], second["shown_staff_id"]) == (
            "A002",
            "S0013",
            "S0012",
        )
        assert second["mismatch"] is True and second["reason"] == "attitude"
        (alert,) = poll(lambda: api.get("/api/ratings/alerts").json(), bool)
        assert alert["kind"] == "staff_mismatch" and alert["staff_id"] == "S0013"
        (task,) = poll(lambda: api.get("/api/ratings/followups").json(), bool)
        assert (task["ticket"], task["state"], task["level"]) == ("A002", "open", 1)
        assert task["has_contact"]  # with the citizen's number, sealed (PRIV-1)
        local_day = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        due = datetime.fromisoformat(task["contact_due"]).astimezone(ZoneInfo("Asia/Shanghai"))
        assert due.date() > local_day  # rule RATE-3: due by the end of the working day
        assert (due - timedelta(days=1)).date() == WorkCalendar().workdays(
            local_day, local_day + timedelta(days=14)
        )[0]
        with hub.engine.connect() as conn:
            stored = str(conn.execute(sa.select(EVENT.c.body)).all())
        assert "13912345678" not in stored and "c1." in stored  # sealed on the Pi
        phone = api.post(f"/api/ratings/followups/{task['id']}/contact", json={"actor": "zhang"})
        assert phone.json() == {"phone": "13912345678"}
        stats = api.get("/api/ratings/stats", params={"by": "staff"}).json()
        assert {s["key"]: s["index"] for s in stats} == {"S0012": 100.0, "S0013": 0.0}

        def faults() -> list[str]:
            with hub.engine.connect() as conn:  # type: ignore[union-attr]
                q = sa.select(EVENT.c.body).where(EVENT.c.type == "device_fault")
                return [b for (b,) in conn.execute(q)]

        assert any("rating_garbled_frame" in b for b in poll(faults, bool))
        assert len(api.get("/api/ratings").json()) == 2  # exactly one per finished service
    finally:
        agent.stop()
        hub.stop()
