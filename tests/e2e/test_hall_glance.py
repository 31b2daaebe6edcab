"""The hall map answers at a glance (point 18.9), in headless Chromium against a real hub
(private Mosquitto, SQLite): today's tickets, served, the longest wait, satisfaction, the share
of staffed seats on post and who is away now, by the window names the hall uses, all updated
by the map's SSE stream as devices report (no reload)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
from sqlmodel import Session

from hub.compliance.tables import SeatAssignment
from hub.queue.model import Ticket, TicketState
from hub.queue.stats import day_glance
from hub.server import HubServer
from hub.users.accounts import Role
from models.envelope import make_envelope
from models.events import AwaySign, CallAction, CallRequest, EventType, Presence, Rating
from models.events import TicketIssued as TicketTaken
from models.topics import Channel, build_topic
from tests.e2e.browser import form_login, shot
from tests.hub.attendance.dbhelpers import add_staff
from tests.support.auth import make_user
from tests.support.broker import Broker
from tests.support.glyphs import assert_chinese_renders

T0 = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


def test_day_glance_counts_the_day_and_the_longest_wait_so_far() -> None:
    # rule QUEUE-5: waiting is issue to first call; a ticket not yet called waits until now
    def ticket(n: str, issued_min: int, called_min: int | None, state: TicketState) -> Ticket:
        issued = T0 + timedelta(minutes=issued_min)
        called = T0 + timedelta(minutes=called_min) if called_min is not None else None
        return Ticket(n, "social", issued, issued, state=state, called_at=called)

    day = [
        ticket("A001", 0, 5, TicketState.DONE),
        ticket("A002", 1, 13, TicketState.SERVING),
        ticket("A003", 2, None, TicketState.WAITING),
        ticket("A004", 3, 4, TicketState.NO_SHOW),
    ]
    g = day_glance(day, T0 + timedelta(minutes=10))
    assert (g.tickets, g.served, g.waiting) == (4, 1, 1)
    assert (g.longest_wait_s, g.longest_ticket, g.longest_still_waiting) == (720, "A002", False)
    later = day_glance(day, T0 + timedelta(minutes=20))  # A003 has now waited 18 minutes
    assert (later.longest_wait_s, later.longest_ticket, later.longest_still_waiting) == (
        1080,
        "A003",
        True,
    )
    empty = day_glance([], T0)
    assert (empty.tickets, empty.longest_wait_s, empty.longest_ticket) == (0, None, None)


class Devices:
    """The hall's devices as the broker sees them: one client, a sequence per device."""

    def __init__(self, broker: Broker) -> None:
        self.seq: dict[str, int] = {}
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"glance-dev-{uuid.uuid4().hex[:6]}",
            protocol=mqtt.MQTTv5,
        )
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()

    def send(self, device: str, body: Any, type: EventType | None = None) -> None:
        """Publish one event (QoS 1) and wait for the broker's PUBACK."""
        self.seq[device] = self.seq.get(device, 0) + 1
        env = make_envelope(
            hall="demo",
            device=device,
            seq=self.seq[device],
            ts=datetime.now(UTC),
            synced=True,
            body=body,
            type=type,
        )
        topic = build_topic("demo", device, Channel.EVT)
        self.client.publish(topic, env.to_json(), qos=1).wait_for_publish(10)

    def press(self, window: str, action: CallAction) -> None:
        """A key press at a window's counter keypad."""
        self.send(f"{window}-keypad", CallRequest(window=window, action=action))

    def close(self) -> None:
        """Disconnect."""
        self.client.loop_stop()
        self.client.disconnect()


def kpi(page: Any, name: str) -> str:
    """The figure of one tile above the map."""
    return str(page.locator(f"#kpi-{name} b").inner_text())


def test_the_hall_map_answers_at_a_glance_live(hub: HubServer, broker: Broker, page: Any) -> None:
    engine = hub.engine
    assert engine is not None
    make_user(engine, "zhang", Role.ADMIN)
    add_staff(engine, ("s1", "人社局", "w01"), ("s2", "医保局", "w03"))
    with Session(engine) as s:
        s.add(SeatAssignment(hall="demo", seat="w01-a", window="w01", staff_id="s1", role="A"))
        s.add(SeatAssignment(hall="demo", seat="w03-a", window="w03", staff_id="s2", role="A"))
        s.commit()
    devices = Devices(broker)
    requests: list[str] = []
    try:
        form_login(page, hub.api_url, "zhang")
        page.wait_for_selector("#glance")
        page.wait_for_function("() => document.querySelector('[sse-connect]') !== null")
        assert kpi(page, "tickets") == "0" and kpi(page, "served") == "0"
        assert kpi(page, "longest-wait") == "—" and kpi(page, "satisfaction") == "—"
        assert kpi(page, "on-post") == "0%"  # two staffed seats, nobody seen yet
        assert "目前无人离岗" in page.locator("#away-now").inner_text()
        page.on("request", lambda r: requests.append(r.url))
        page.evaluate("() => { window.__noReload = true; }")

        # citizens take numbers; window 1 serves A001, who rates it 非常满意 (RATE-1)
        for service in ("social", "social", "medical"):
            devices.send("hall-kiosk", TicketTaken(service=service))
        page.wait_for_function(
            "() => document.querySelector('#kpi-tickets b').textContent.trim() === '3'"
        )
        devices.send("w01-a-radar", Presence(seat="w01-a", present=True))
        devices.send("w03-a-radar", Presence(seat="w03-a", present=True))
        for action in (CallAction.NEXT, CallAction.START, CallAction.FINISH):
            devices.press("w01", action)
        devices.send("w01-rate", Rating(seat="w01-a", ticket="A001", level=5))
        page.wait_for_function(
            "() => document.querySelector('#kpi-served b').textContent.trim() === '1'"
        )
        page.wait_for_function(
            "() => document.querySelector('#kpi-satisfaction b').textContent.trim() === '100%'"
        )
        assert kpi(page, "on-post") == "100%"
        assert "A002" in page.locator("#kpi-longest-wait").inner_text()  # still waiting
        assert "仍在等候" in page.locator("#kpi-longest-wait").inner_text()
        assert "1 条评价" in page.locator("#kpi-satisfaction").inner_text()

        # window 3's staff member leaves with the away sign (POST-2): listed as away now,
        # by the window's name, with a running timer; the share on post halves
        devices.send("w03-a-sign", AwaySign(seat="w03-a"), EventType.AWAY_SIGN_PLACED)
        page.wait_for_selector("#away-now li[data-seat=w03-a]")
        away = page.locator("#away-now li[data-seat=w03-a]").inner_text()
        assert "3号窗口" in away and "暂停服务牌" in away and "w03" not in away
        assert kpi(page, "on-post") == "50%"
        assert page.locator("#away-now .timer").count() == 1
        assert page.evaluate("() => window.__noReload") is True
        assert_chinese_renders(page, "#glance")
        shot(page, "hallmap-glance")

        # back on post: nobody away again
        devices.send("w03-a-sign", AwaySign(seat="w03-a"), EventType.AWAY_SIGN_REMOVED)
        page.wait_for_function("() => document.querySelector('#away-now li') === null")
        assert kpi(page, "on-post") == "100%"
        page.goto(hub.api_url + "/?lang=en")
        assert "Tickets today" in page.locator("#glance").inner_text()
        assert "Nobody is away" in page.locator("#away-now").inner_text()
    finally:
        devices.close()
    # the figures came by the map's own stream: fragments fetched, the page never reloaded
    assert not [u for u in requests if u.rstrip("/").endswith(hub.api_url.rstrip("/"))]
    assert any("/fragments/hallmap" in u for u in requests)


def test_a_window_is_called_by_its_name_else_by_its_number() -> None:
    from models.layout import Window

    assert Window(id="w03", number=3, name="综合窗口", seats=["w03-a"]).called == "综合窗口"
    assert Window(id="w03", number=3, seats=["w03-a"]).called == "3号窗口"  # never "w03"
