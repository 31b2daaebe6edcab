"""End to end with a real broker: HubServer (attendance, compliance, duty, queue, ratings) and
the counter's edge agent (keypad and rating device on pty peers). Rule RATE-2: when a sick A
holder's leave is approved, the hub's background work hands the seat to B and the rating device
shows B's name and number without any queue change; the service B gives is rated to B; a face
at the window's terminal that is not the ledger's holder raises one alert naming the seat, the
holder and the person seen, not again on the watch's next rounds, untouched by facts forged by
other devices (ingest refuses them by kind and place), and closed when the holder is seen
back (DUTY-1, POST-7). Every wait polls (tests.support.waiting): no fixed sleep."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa

from edge.agent import Agent
from edge.serialproto.rating import PromptFrame, ShowFrame
from edge.settings import AgentSettings
from hub.duty.ledger_store import hall_duty
from hub.duty.roster import Role, RosterEntry
from hub.duty.roster_store import file_roster
from hub.duty.tables import SeatHolderRow
from hub.server import HubServer
from hub.settings import HubSettings
from hub.staff.tables import Staff
from models.envelope import make_envelope
from models.events import Liveness, Presence, Punch
from models.layout import Device
from models.topics import Channel, build_topic
from tests.hub.duty.support import HALL as DEMO
from tests.support.broker import Broker
from tests.support.waiting import wait_until

FACE = Device(id="w02-face", kind="face_terminal", node="pi-w02", window="w02")
HALL = DEMO.model_copy(update={"devices": [*DEMO.devices, FACE]})
HOLDER = SeatHolderRow.__table__  # type: ignore[attr-defined]
PEOPLE = (("S021", "张伟", "w02"), ("S901", "孙丽", "w02"), ("S011", "王芳", "w01"))


def add_people(conn: sa.Connection) -> None:
    """The hall's staff of these tests (PEOPLE), as the staff list holds them."""
    for sid, name, window in PEOPLE:
        conn.execute(
            sa.insert(Staff.__table__).values(  # type: ignore[attr-defined]
                staff_id=sid,
                hall=HALL.id,
                name=name,
                unit="",
                window=window,
                active=True,
                created_at=datetime.now(UTC),
            )
        )


def poll(fetch: Callable[[], Any], ok: Callable[[Any], bool], what: str) -> Any:
    """`fetch()` once `ok` holds for it (tests.support.waiting's one polling wait)."""
    box: list[Any] = []

    def done() -> bool:
        box[:] = [fetch()]
        return ok(box[0])

    wait_until(done, timeout=30.0, what=what)
    return box[0]


def face_punch(staff: str) -> Punch:
    """A punch that passed the liveness check."""
    return Punch(staff_id=staff, distance=0.3, liveness=Liveness(passed=True))


def send(broker_url: str, device: str, seq: int, body: Any) -> None:
    """A device of the hall reports a fact (a real envelope on the device's real topic)."""
    env = make_envelope(
        hall=HALL.id, device=device, seq=seq, ts=datetime.now(UTC), synced=True, body=body
    )
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"dev-{uuid.uuid4().hex[:6]}",
        protocol=mqtt.MQTTv5,
    )
    client.connect("127.0.0.1", int(broker_url.rsplit(":", 1)[1]))
    client.loop_start()
    try:
        topic = build_topic(HALL.id, device, Channel.EVT)
        client.publish(topic, env.to_json(), qos=1).wait_for_publish(10)
    finally:
        client.loop_stop()
        client.disconnect()


def punch(broker_url: str, staff: str, seq: int) -> None:
    """The window's face terminal reports a punch."""
    send(
        broker_url,
        FACE.id,
        seq,
        Punch(staff_id=staff, distance=0.3, liveness=Liveness(passed=True)),
    )


def mismatches(api: httpx.Client) -> list[dict[str, Any]]:
    """The open RATE-2 alerts: a face at a seat that is not the ledger's holder."""
    alerts = api.get("/api/alerts", params={"state": "open"}).json()
    return [a for a in alerts if a["kind"] == "ledger_mismatch"]


def live_hub(broker: Broker, tmp_path: Path) -> HubServer:
    """The hub with attendance, compliance, duty, queue and ratings, today's w02 rostered."""
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        broker_url=broker.url,
        hall_dirs=[],
        host="127.0.0.1",
        port=0,
        secret_key="test-secret",
        auth_required=False,
        client_id=f"hk-d-{uuid.uuid4().hex[:6]}",
        batch_ms=5,
        tick_s=0.5,
    )
    modules = ["hub.attendance.area", "hub.compliance.area", "hub.duty.area"]
    hub = HubServer(
        settings, halls=[HALL], area_modules=[*modules, "hub.queue.area", "hub.ratings.area"]
    )
    hub.start()
    assert hub.engine is not None
    hd = hall_duty(HALL)
    today = hd.local_day(datetime.now(UTC))
    with hub.engine.begin() as conn:
        add_people(conn)
        entries = [  # today's roster of w02-a (rule DUTY-1), whatever day today is
            RosterEntry("S021", today, "w02", "w02-a", Role.A),
            RosterEntry("S901", today, "w02", "w02-a", Role.B),
            RosterEntry("S011", today, "w01", "w01-a", Role.A),
        ]
        file_roster(conn, hd, f"{today:%Y-%m}", entries, actor="office", now=datetime.now(UTC))
    return hub


def counter(broker: Broker, tmp_path: Path) -> Agent:
    """w02's counter agent (keypad and rating device on pty peers), configured by the hub."""
    edge = AgentSettings(
        broker_url=broker.url, data_dir=tmp_path / "edge", clock_synced=True, heartbeat_s=3600
    )
    agent = Agent(HALL, "pi-w02", edge, devices=["w02-keypad", "w02-rate"]).start()
    for rt in agent.runtimes.values():
        assert rt.session.wait_ready(20)
        poll(partial(getattr, rt, "config_version"), lambda v: v == 1, "config v1")
    return agent


@pytest.mark.usefixtures("migrated_hub_db")  # the hub starts on a migrated copy
def test_a_change_of_holder_reaches_the_rating_device(broker: Broker, tmp_path: Path) -> None:
    hub = live_hub(broker, tmp_path)
    assert hub.engine is not None
    hd = hall_duty(HALL)
    today = hd.local_day(datetime.now(UTC))
    agent = counter(broker, tmp_path)
    try:
        api = httpx.Client(base_url=hub.api_url, timeout=10, headers={"X-Actor": "office"})
        keypad: Any = getattr(agent.runtime("w02-keypad").driver, "peer")  # noqa: B009
        rating: Any = getattr(agent.runtime("w02-rate").driver, "peer")  # noqa: B009
        # no punch yet today: the rostered A holder is expected (unknown is not absent)
        poll(lambda: rating.screen, lambda s: s is not None and s.staff_no == "S021", "A shown")

        start = datetime.combine(today, datetime.min.time(), hd.zone)
        leave = api.post(
            "/api/attendance/leaves",
            json={
                "staff_id": "S021",
                "kind": "sick",
                "start": start.isoformat(),
                "end": (start + timedelta(days=1, seconds=-1)).isoformat(),
                "reason": "发烧",
                "certificate": "县人民医院 病假证明",  # rule ATT-5
            },
        )
        assert leave.status_code == 201, leave.text
        for stage, who in (("department", "dept-head"), ("office", "supervision")):
            r = api.post(  # two approvals by two people (ATT-5)
                f"/api/attendance/leaves/{leave.json()['id']}/decision",
                json={"stage": stage, "approve": True},
                headers={"X-Actor": who},
            )
            assert r.status_code == 200, r.text
        # rule POST-7 + RATE-2: B takes over, and the device shows B with no queue change
        poll(lambda: rating.screen, lambda s: s == ShowFrame(1, "S901", "孙丽", ""), "B shown")
        now = {s["seat"]: s for s in api.get("/api/duty/demo/ledger/now").json()}
        assert (now["w02-a"]["staff_id"], now["w02-a"]["basis"], now["w02-a"]["cause"]) == (
            "S901",
            "B",
            "sick",
        )
        punch(broker.url, "S901", 1)  # B's own face at the window: no mismatch

        (queue,) = [a.state["queues"][HALL.id] for a in hub.areas if a.name == "queue"]
        queue.issue("social")
        keypad.press("next")
        wait_until(
            lambda: (
                rating.screen is not None
                and rating.screen.ticket
                and rating.screen.staff_no == "S901"
            ),
            what="B shown serving a ticket",
        )
        keypad.press("finish")
        wait_until(
            lambda: any(isinstance(f, PromptFrame) for f in rating.received), what="rating prompt"
        )
        rating.rate(5)  # every dimension the national scheme asks
        (bound,) = poll(lambda: api.get("/api/ratings").json(), lambda r: len(r) == 1, "one rating")
        assert (bound["staff_id"], bound["mismatch"]) == ("S901", False)

        # rule RATE-2: w01's A holder shows their face at w02's terminal while B holds w02-a
        punch(broker.url, "S011", 2)
        (alert,) = poll(lambda: mismatches(api), lambda a: len(a) == 1, "the RATE-2 alert")
        assert (alert["device"], alert["rule"], alert["staff_id"]) == ("w02-a", "RATE-2", "S011")
        assert alert["message"].startswith("RATE-2 w02-a：") and (
            "在岗位刷脸的是 王芳 S011，台账上的在岗人员是 孙丽 S901" in alert["message"]
        ), alert["message"]
        (watch,) = [a.state["duty_watch"] for a in hub.areas if a.name == "duty"]
        rounds = watch.syncs
        wait_until(lambda: watch.syncs >= rounds + 3, what="three more rounds of the seat watch")
        (again,) = mismatches(api)
        assert (again["id"], again["occurrences"]) == (alert["id"], 1)  # told once, not per round

        # forged: another seat's radar reports presence at w02-a (place), a rating device
        # a punch (kind); ingest refuses both, and the seat watch never sees them
        send(broker.url, "w03-a-radar", 1, Presence(seat="w02-a", present=True))
        send(broker.url, "w03-rate", 1, face_punch("S031"))
        poll(
            lambda: {
                a["device"] for a in api.get("/api/alerts").json() if a["kind"] == "facts_refused"
            },
            lambda d: {"w03-a-radar", "w03-rate"} <= d,
            "both forged facts refused",
        )
        rounds = watch.syncs
        wait_until(lambda: watch.syncs >= rounds + 2, what="two more rounds of the seat watch")
        (again,) = mismatches(api)
        assert (again["id"], again["occurrences"]) == (alert["id"], 1)

        punch(broker.url, "S901", 3)  # the holder is back at the seat: the incident is over
        done = poll(
            lambda: api.get("/api/alerts", params={"state": "resolved"}).json(),
            lambda a: any(x["id"] == alert["id"] for x in a),
            "the RATE-2 alert resolved",
        )
        (closed,) = [x for x in done if x["id"] == alert["id"]]
        assert (closed["resolved_by"], closed["occurrences"]) == ("auto", 1)
        assert mismatches(api) == []
    finally:
        agent.stop()
        hub.stop()


def pushed(hub: HubServer, seat: str) -> str | None:
    """Whom the duty watch has told the seat's rating device holds it (seat_holder)."""
    assert hub.engine is not None
    with hub.engine.connect() as conn:
        q = sa.select(HOLDER.c.staff_id).where(
            HOLDER.c.hall == HALL.id, HOLDER.c.seat == seat, HOLDER.c.pushed_at.is_not(None)
        )
        return conn.execute(q).scalar()


@pytest.mark.usefixtures("migrated_hub_db")  # the hub starts on a migrated copy
def test_a_reconnecting_rating_device_is_shown_who_serves_once(
    broker: Broker, tmp_path: Path
) -> None:
    """Rule RATE-2: a rating device back online is shown who serves once, by one owner of the
    reshow (the ratings area); before, the duty watch sent the same ShowServing too, so the
    device got two identical frames. The ticket called after it is the barrier: commands reach
    the device in order, so every reshow has arrived before the ticket's frame."""
    hub = live_hub(broker, tmp_path)
    agent = counter(broker, tmp_path)
    try:
        rating: Any = getattr(agent.runtime("w02-rate").driver, "peer")  # noqa: B009
        poll(lambda: rating.screen, lambda s: s is not None and s.staff_no == "S021", "A shown")
        poll(partial(pushed, hub, "w02-a"), lambda s: s == "S021", "the watch's push of A")
    finally:
        agent.stop()  # the counter's Pi goes away (its state: offline) and comes back
    agent = counter(broker, tmp_path)
    try:
        rating = getattr(agent.runtime("w02-rate").driver, "peer")  # noqa: B009
        keypad: Any = getattr(agent.runtime("w02-keypad").driver, "peer")  # noqa: B009
        poll(lambda: rating.screen, lambda s: s is not None, "shown again once back online")
        (queue,) = [a.state["queues"][HALL.id] for a in hub.areas if a.name == "queue"]
        queue.issue("social")
        keypad.press("next")
        screen = poll(lambda: rating.screen, lambda s: s is not None and s.ticket, "a ticket")
        ticket = screen.ticket
        shows = [f for f in rating.received if isinstance(f, ShowFrame)]
        assert shows == [ShowFrame(1, "S021", "张伟", ""), ShowFrame(1, "S021", "张伟", ticket)]
    finally:
        agent.stop()
        hub.stop()
