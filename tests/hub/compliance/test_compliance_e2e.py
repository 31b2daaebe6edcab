"""End to end over a real broker: device facts -> ingest -> compliance -> neighbour display."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import paho.mqtt.client as mqtt
import pytest

from hub.compliance.api import router
from hub.compliance.projector import CompliancePresence
from hub.compliance.schedule import WorkSchedule
from hub.compliance.tables import SeatAssignment
from hub.db import session_scope
from hub.server import HubServer, load_halls
from hub.settings import HubSettings
from models.commands import DisplayText, parse_command
from models.envelope import make_envelope
from models.events import AwaySign, CallAction, CallRequest, EventBody, EventType, Presence
from models.topics import Channel, build_topic
from tests.support.broker import Broker

DEMO = Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo"
TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 6, 10)


def at(hhmm: str) -> datetime:
    return datetime.combine(DAY, dtime.fromisoformat(hhmm), TZ)


def poll(fetch: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 20.0) -> Any:
    """Call fetch until ok(result) or the deadline; return the last result."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


@pytest.mark.usefixtures("migrated_hub_db")  # the hub starts on a migrated copy
def test_one_person_window_away_while_called_tells_the_neighbour(
    broker: Broker, tmp_path: Path
) -> None:
    # rule POST-3, rule POST-4, rule POST-1
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        broker_url=broker.url,
        hall_dirs=[DEMO],
        host="127.0.0.1",
        port=0,
        secret_key="test-secret",
        auth_required=False,  # these tests are about the hub, not its logins
        client_id=f"hk-test-{uuid.uuid4().hex[:6]}",
        push_config_on_start=False,
    )
    halls = load_halls([DEMO])
    projector = CompliancePresence(
        halls, None, clock=lambda: at("23:00"), schedules={"demo": WorkSchedule()}
    )
    hub = HubServer(
        settings, halls=halls, projectors=[projector], routers=[router], area_modules=[]
    )
    hub.start()
    projector.sender = hub.commands  # the hub's MQTT command sender exists once it started
    assert hub.engine is not None
    with session_scope(hub.engine) as s:
        s.add(SeatAssignment(hall="demo", seat="w04-a", window="w04", staff_id="s04"))
    display: list[bytes] = []
    led = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id="w03-led",
        protocol=mqtt.MQTTv5,
    )
    subscribed: list[bool] = []
    led.on_message = lambda _c, _u, msg: display.append(bytes(msg.payload))
    led.on_subscribe = lambda *_args: subscribed.append(True)
    led.connect("127.0.0.1", broker.port)
    led.loop_start()
    led.subscribe(build_topic("demo", "w03-led", Channel.CMD), qos=1)
    devices: dict[str, mqtt.Client] = {}
    seqs: dict[str, int] = {}

    def send(device: str, hhmm: str, body: EventBody, type: EventType | None = None) -> None:
        if device not in devices:
            c = mqtt.Client(
                callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                client_id=device,
                protocol=mqtt.MQTTv5,
            )
            c.connect("127.0.0.1", broker.port)
            c.loop_start()
            devices[device] = c
        seqs[device] = seqs.get(device, 0) + 1
        env = make_envelope(
            hall="demo",
            device=device,
            seq=seqs[device],
            ts=at(hhmm),
            synced=True,
            body=body,
            type=type,
        )
        devices[device].publish(
            build_topic("demo", device, Channel.EVT), env.to_json(), qos=1
        ).wait_for_publish(5)

    try:
        assert poll(lambda: subscribed, bool), "the display never subscribed"
        send("w04-a-radar", "08:20", Presence(seat="w04-a", present=True))
        send("w04-a-sign", "10:00", AwaySign(seat="w04-a"), EventType.AWAY_SIGN_PLACED)
        send("w04-a-radar", "10:00", Presence(seat="w04-a", present=False))
        send(
            "w04-keypad", "10:03", CallRequest(window="w04", action=CallAction.CALL, ticket="B007")
        )
        send("w04-a-radar", "10:13", Presence(seat="w04-a", present=True))
        send("w04-a-sign", "10:13", AwaySign(seat="w04-a"), EventType.AWAY_SIGN_REMOVED)

        poll(lambda: display, lambda d: bool(d))
        cmd = parse_command(display[0])
        assert cmd.device == "w03-led" and isinstance(cmd.body, DisplayText)
        assert "4号窗口" in cmd.body.text and "B007" in cmd.body.text

        api = httpx.Client(base_url=hub.api_url, timeout=5)
        v = poll(
            lambda: api.get("/api/compliance/demo/violations", params={"day": "2026-06-10"}).json(),
            lambda rows: any(r["end"] for r in rows),
        )
        assert [(r["rule"], r["staff_id"]) for r in v] == [("POST-1", "s04")]
        notices = api.get("/api/compliance/demo/notices", params={"day": "2026-06-10"}).json()
        assert [(n["neighbour_device"], n["ticket"]) for n in notices] == [("w03-led", "B007")]
        assert len(display) == 1
    finally:
        for c in [led, *devices.values()]:
            c.disconnect()
            c.loop_stop()
        hub.stop()
