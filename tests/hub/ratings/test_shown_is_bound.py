"""Rule RATE-2 end to end (real broker, HubServer with the duty, queue and ratings areas, the
counter's edge agent with its keypad and rating device on pty peers): with a stand-in who
punched at the window while the ledger's B holder holds the seat, every ShowServing the rating
device receives, whoever sends it (the duty watch on the face at the window, the ratings area
on a ticket called, both when the device reconnects), names the stand-in, and the rating the
device sends is bound to the stand-in with no mismatch: shown and bound are one person."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from edge.agent import Agent
from edge.serialproto.rating import PromptFrame, ShowFrame
from edge.settings import AgentSettings
from hub.duty.ledger_store import hall_duty
from hub.duty.roster import Role, RosterEntry
from hub.duty.roster_store import file_roster
from hub.server import HubServer
from hub.settings import HubSettings
from tests.hub.duty.test_live import HALL, add_people, poll, punch
from tests.support.broker import Broker
from tests.support.waiting import wait_until


def start_hub(broker: Broker, tmp_path: Path) -> HubServer:
    """The hub with today's roster of w02-a: S021 A, S901 B (rule DUTY-1)."""
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        broker_url=broker.url,
        hall_dirs=[],
        host="127.0.0.1",
        port=0,
        secret_key="test-secret",
        auth_required=False,
        client_id=f"hk-r-{uuid.uuid4().hex[:6]}",
        batch_ms=5,
        tick_s=0.5,
    )
    areas = ["attendance", "compliance", "duty", "queue", "ratings"]
    hub = HubServer(settings, halls=[HALL], area_modules=[f"hub.{a}.area" for a in areas])
    hub.start()
    assert hub.engine is not None
    hd = hall_duty(HALL)
    today = hd.local_day(datetime.now(UTC))
    with hub.engine.begin() as conn:
        add_people(conn)
        entries = [
            RosterEntry("S021", today, "w02", "w02-a", Role.A),
            RosterEntry("S901", today, "w02", "w02-a", Role.B),
        ]
        file_roster(conn, hd, f"{today:%Y-%m}", entries, actor="office", now=datetime.now(UTC))
    return hub


def sick_leave_approved(api: httpx.Client, staff: str) -> None:
    """A whole-day sick leave of `staff`, approved at both stages (ATT-5)."""
    hd = hall_duty(HALL)
    start = datetime.combine(hd.local_day(datetime.now(UTC)), datetime.min.time(), hd.zone)
    leave = api.post(
        "/api/attendance/leaves",
        json={
            "staff_id": staff,
            "kind": "sick",
            "start": start.isoformat(),
            "end": (start + timedelta(days=1, seconds=-1)).isoformat(),
            "reason": "发烧",
            "certificate": "县人民医院 病假证明",
        },
    )
    assert leave.status_code == 201, leave.text
    for stage, who in (("department", "dept-head"), ("office", "supervision")):
        r = api.post(
            f"/api/attendance/leaves/{leave.json()['id']}/decision",
            json={"stage": stage, "approve": True},
            headers={"X-Actor": who},
        )
        assert r.status_code == 200, r.text


@pytest.mark.usefixtures("migrated_hub_db")  # the hub starts on a migrated copy
def test_the_device_shows_the_person_the_rating_binds_to(broker: Broker, tmp_path: Path) -> None:
    hub = start_hub(broker, tmp_path)
    edge = AgentSettings(
        broker_url=broker.url, data_dir=tmp_path / "edge", clock_synced=True, heartbeat_s=3600
    )
    agent = Agent(HALL, "pi-w02", edge, devices=["w02-keypad", "w02-rate"]).start()
    try:
        for rt in agent.runtimes.values():
            assert rt.session.wait_ready(20)
            poll(partial(getattr, rt, "config_version"), lambda v: v == 1, "config v1")
        api = httpx.Client(base_url=hub.api_url, timeout=10, headers={"X-Actor": "office"})
        keypad: Any = getattr(agent.runtime("w02-keypad").driver, "peer")  # noqa: B009
        rating: Any = getattr(agent.runtime("w02-rate").driver, "peer")  # noqa: B009
        poll(lambda: rating.screen, lambda s: s is not None and s.staff_no == "S021", "A shown")
        sick_leave_approved(api, "S021")  # the change of holder: B takes the seat (POST-7)
        poll(lambda: rating.screen, lambda s: s is not None and s.staff_no == "S901", "B shown")

        mark = len(rating.received)
        punch(broker.url, "S011", 1)  # the stand-in's face at w02's terminal: who is there
        poll(lambda: rating.screen, lambda s: s.staff_no == "S011", "the stand-in shown")

        (queue,) = [a.state["queues"][HALL.id] for a in hub.areas if a.name == "queue"]
        queue.issue("social")
        keypad.press("next")  # the ticket called: the ratings area shows who serves it
        poll(lambda: rating.screen, lambda s: bool(s.ticket), "the ticket shown")

        device = agent.runtime("w02-rate").session  # the device drops off and comes back
        before = len(rating.received)
        device.stop()
        device.start()
        assert device.wait_ready(20)
        wait_until(  # the ratings area shows it who serves again (once: 78791fb, RATE-2)
            lambda: sum(isinstance(f, ShowFrame) for f in rating.received[before:]) >= 1,
            timeout=30.0,
            what="the reconnected device shown who serves",
        )

        keypad.press("finish")
        wait_until(
            lambda: any(isinstance(f, PromptFrame) for f in rating.received), what="rating prompt"
        )
        rating.rate(5)
        (bound,) = poll(lambda: api.get("/api/ratings").json(), lambda r: len(r) == 1, "rating")
        shows = [f for f in rating.received[mark:] if isinstance(f, ShowFrame)]
        assert len(shows) >= 3, shows  # the face, the ticket, the reconnect
        # rule RATE-2: every one of them names the person the rating is bound to
        assert {(f.staff_no, f.name) for f in shows} == {("S011", "王芳")}, shows
        assert (bound["staff_id"], bound["shown_staff_id"], bound["mismatch"]) == (
            "S011",
            "S011",
            False,
        ), bound
    finally:
        agent.stop()
        hub.stop()
