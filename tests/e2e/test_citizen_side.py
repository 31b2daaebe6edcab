"""Issue 19's "done when" in one run, on the demo's hall and its real parts: a private Mosquitto,
the whole hub (every area, logins on, SQLite), the demo's staff on their seats, the edge agents
of the hall (kiosk, ticket printer on a pty, hall screen) and of window 1 (keypad, counter
display, rating device: each on a pty), and headless Chromium for the pages.

1. The printer runs out of paper (its pty peer): a citizen touches the kiosk's screen; the page
   gives the number large and as a QR code (decoded from a screenshot), the kiosk says it
   aloud (a WAV made by espeak-ng), nothing is printed; the hall screen's page and device carry
   the notice (DEV-4).
2. The window calls that number (keypad bytes), the window's system gives a case number; the
   citizen rates it 非常不满意 on the rating device (the device's frame bytes on the pty),
   chooses a reason and types a phone number: a follow-up opens, due the same working day,
   bound to the ticket, the case number and the staff member shown; the duty chief opens it
   in the dashboard and reveals the number to call (RATE-1, RATE-3, PRIV-1). Forged ratings on
   the broker (w01's pad naming w02's seat; w02's pad naming w01's citizen) change nothing.
3. The window's system fails: the counter display says 暂停服务 and why (DEV-4).
4. A citizen complains on the page the hall's QR poster opens; the supervision office
   investigates, answers and closes it in the dashboard; the citizen reads the answer on the
   status link (DUTY-6).

Screenshots go to test-artifacts/screenshots/ (gitignored).
"""

from __future__ import annotations

import re
import shutil
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import cv2
import httpx
import numpy as np
import pytest
import sqlalchemy as sa

from edge.agent import Agent
from edge.serialproto.rating import (
    AskPhoneFrame,
    AskReasonFrame,
    PhoneEntry,
    Press,
    PromptFrame,
    ReasonChoice,
    ShowFrame,
    ThanksFrame,
    encode_phone,
    encode_press,
    encode_reason,
)
from edge.settings import AgentSettings
from hub.attendance.calendar import WorkCalendar
from hub.demo.seed import seed_staff
from hub.server import HubServer
from hub.users.accounts import Role
from models.contact import new_keypair
from models.envelope import make_envelope
from models.events import Rating
from models.layout import load_hall
from tests.e2e.browser import DEMO, SHOTS, form_login, running_hub
from tests.e2e.test_dashboard_browser import publish_event
from tests.support.auth import log_in, make_user
from tests.support.broker import Broker
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NATIONAL = ("overall", "attitude", "efficiency", "service_level")  # rule RATE-1
PHONE = "13912345678"
CASE_NO = "SB-2026-0417"


@dataclass
class Hall:
    """The running hall: hub, its two edge agents, the demo's layout."""

    hub: HubServer
    pi_hall: Agent
    pi_w01: Agent

    def driver(self, device: str) -> Any:
        agent = self.pi_hall if device.startswith("hall-") else self.pi_w01
        return agent.runtime(device).driver

    @property
    def url(self) -> str:
        return self.hub.api_url


@pytest.fixture
def hall(
    broker: Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_hub_db: str
) -> Iterator[Hall]:
    private, public = new_keypair()
    monkeypatch.setenv("HK_CONTACT_KEY", private)  # the hub opens numbers to call
    monkeypatch.setenv("HK_CONTACT_PUBLIC_KEY", public)  # the rating device seals them
    from hub.complaints import public as complaint_page

    complaint_page.PER_CLIENT._hits.clear()  # a fresh rate limit for this client
    with running_hub(broker, tmp_path, host="127.0.0.1", batch_ms=5) as hub:
        assert hub.engine is not None
        seed_staff(hub.engine, load_hall(DEMO))  # the demo's staff on every seat
        yield from edge_agents(hub, broker, tmp_path)


def edge_agents(hub: HubServer, broker: Broker, tmp_path: Path) -> Iterator[Hall]:
    """The edge agents of the hall (kiosk, printer, screen) and of window 1, ready."""
    edge = AgentSettings(
        broker_url=broker.url, data_dir=tmp_path / "edge", clock_synced=True, heartbeat_s=3600
    )
    layout = load_hall(DEMO)
    pi_hall = Agent(
        layout, "pi-hall", edge, devices=["hall-kiosk", "hall-printer", "hall-screen"]
    ).start()
    pi_w01 = Agent(layout, "pi-w01", edge, devices=["w01-keypad", "w01-led", "w01-rate"]).start()
    try:
        for agent in (pi_hall, pi_w01):
            for rt in agent.runtimes.values():
                assert rt.session.wait_ready(20), rt
        wait_until(lambda: pi_w01.runtime("w01-rate").config_version == 1, 20, "the pushed config")
        yield Hall(hub, pi_hall, pi_w01)
    finally:
        pi_w01.stop()
        pi_hall.stop()


def qr_of(png: bytes) -> str:
    """The text of the QR code in a screenshot (as a phone's camera reads it)."""
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    text, points, _ = cv2.QRCodeDetector().detectAndDecode(img)
    assert points is not None, "no QR code found in the screenshot"
    return str(text)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"citizen-{name}.png"), full_page=True)


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine")
def test_the_citizen_is_told_heard_and_answered(hall: Hall, broker: Broker) -> None:
    # rule DEV-4, RATE-1, RATE-3, DUTY-6, PRIV-1 (issue 19's "done when")
    from playwright.sync_api import expect, sync_playwright

    engine = hall.hub.engine
    assert engine is not None
    make_user(engine, "chief", Role.DUTY_CHIEF)
    make_user(engine, "office", Role.SUPERVISOR)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            ticket = printer_out_the_kiosk_still_gives_the_number(hall, browser)
            dissatisfied_rating_opens_a_same_day_followup(hall, browser, ticket)
            forged_ratings_change_nothing(hall, broker, ticket)
            a_window_that_cannot_serve_says_why(hall)
            complaint_answered_and_closed(hall, browser, expect)
        finally:
            browser.close()


def printer_out_the_kiosk_still_gives_the_number(hall: Hall, browser: Any) -> str:
    """rule DEV-4: paper out; the page gives the number large and as a QR code, the kiosk
    says it, the hall screen (page and device) shows the notice."""
    printer, kiosk = hall.driver("hall-printer"), hall.driver("hall-kiosk")
    printer.peer.paper = False  # the roll runs out
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page.goto(f"{hall.url}/kiosk/demo/hall-kiosk")
    page.click("button[data-service=social]")
    page.wait_for_selector("#result.on", timeout=20_000)
    number = page.text_content("#ticket-number") or ""
    assert re.fullmatch(r"A\d{3}", number), number
    assert page.text_content("#result-title") == f"您的号码 {number}"
    assert "取号纸已用完" in (page.text_content("#result-detail") or "")
    size = page.eval_on_selector("#ticket-number", "e => getComputedStyle(e).fontSize")
    assert float(size.removesuffix("px")) >= 150  # large enough to note from a step back
    assert qr_of(page.locator("#qr").screenshot()).startswith(f"示范政务服务大厅 取号 {number}")
    shot(page, "01-kiosk-paper-out")
    assert printer.peer.tickets == []  # nothing came out of the printer
    # the kiosk device got the same outcome and said it aloud through its speaker
    spoken = wait_until(lambda: list(kiosk.voice.done), 20, "the kiosk speaking")
    assert spoken[0].text == f"取号纸已用完，您的号码是{number}，请记下屏幕上的号码"
    with wave.open(str(spoken[0].wav)) as w:
        assert w.getnframes() / w.getframerate() > 1.0  # a real utterance, not silence
    assert kiosk.screen.ticket == number and kiosk.screen.printed is False
    # the hall screen: its page shows the notice, and its device holds the notice line
    screen = browser.new_page(viewport={"width": 1920, "height": 1080})
    screen.goto(f"{hall.url}/api/queue/hall")
    screen.wait_for_function(
        "document.getElementById('notices').textContent.includes('打印纸已用完')",
        timeout=15_000,
    )
    shot(screen, "02-hall-screen-notice")
    wait_until(
        lambda: any("打印纸已用完" in t for t in hall.driver("hall-screen").lines.values()),
        15,
        "the hall screen device's notice line",
    )
    page.close()
    screen.close()
    return number


def dissatisfied_rating_opens_a_same_day_followup(hall: Hall, browser: Any, ticket: str) -> None:
    """rule RATE-1, RATE-3: called at w01 (keypad bytes), rated 非常不满意 on the rating
    device's pty with a phone number; the follow-up is due the same working day."""
    keypad, led = hall.driver("w01-keypad").peer, hall.driver("w01-led").peer
    rating = hall.driver("w01-rate").peer
    keypad.press("next")
    wait_until(lambda: led.lines.get(0, "").startswith(ticket), 20, "the counter display")
    shown: ShowFrame = wait_until(
        lambda: rating.screen if rating.screen and rating.screen.ticket == ticket else None,
        20,
        "the rating device showing who serves",
    )
    api = httpx.Client(base_url=hall.url, timeout=10)
    log_in(api, "chief")
    linked = api.post(f"/api/queue/tickets/{ticket}/case", json={"case_no": CASE_NO})
    assert linked.status_code == 200, linked.text  # the window's system gives the case number
    seats = {s["seat"]: s["staff_id"] for s in api.get("/api/compliance/demo/assignments").json()}
    assert shown.staff_no == seats["w01-a"]  # the device shows who serves at its seat
    keypad.press("finish")
    prompt = wait_until(
        lambda: next((f for f in rating.received if isinstance(f, PromptFrame)), None),
        20,
        "the rating prompt",
    )
    assert prompt.dimensions == NATIONAL  # rule RATE-1: the national scheme's four
    for dim in NATIONAL:  # 非常不满意 on each, as the device's key frames
        rating.write(encode_press(Press(rating.address, dim, 1)))
    wait_until(lambda: any(isinstance(f, AskReasonFrame) for f in rating.received), 20, "asked why")
    rating.write(encode_reason(ReasonChoice(rating.address, 1)))
    wait_until(
        lambda: any(isinstance(f, AskPhoneFrame) for f in rating.received), 20, "asked a number"
    )
    rating.write(encode_phone(PhoneEntry(rating.address, PHONE)))
    wait_until(lambda: any(isinstance(f, ThanksFrame) for f in rating.received), 20, "thanks")
    (row,) = wait_until(lambda: api.get("/api/ratings").json(), 20, "the rating at the hub")
    assert (row["ticket"], row["case_no"], row["staff_id"], row["level"]) == (
        ticket,
        CASE_NO,
        shown.staff_no,
        1,
    )
    (task,) = wait_until(lambda: api.get("/api/ratings/followups").json(), 20, "the follow-up")
    assert (task["ticket"], task["state"], task["has_contact"]) == (ticket, "open", True)
    zone = ZoneInfo("Asia/Shanghai")
    rated_on = datetime.fromisoformat(row["rated_at"]).astimezone(zone).date()  # the hall's day
    workday = WorkCalendar().workdays(rated_on, rated_on + timedelta(days=14))[0]
    due = datetime.combine(workday + timedelta(days=1), time(0), zone)
    assert datetime.fromisoformat(task["contact_due"]) == due  # rule RATE-3: the same day

    page = browser.new_context(locale="zh-CN").new_page()
    form_login(page, hall.url, "chief", path="/ratings")
    page.click(f"#followups-table a[href='/ratings/followups/{task['id']}']")
    assert page.text_content("#contact-due") == f"{due:%Y-%m-%d %H:%M}"
    assert page.text_content("#case-no") == CASE_NO  # rule RATE-1: bound to the case
    assert PHONE not in page.content()  # sealed until someone makes the call
    page.click("#show-number")
    assert page.text_content("#contact .phone") == PHONE
    shot(page, "03-followup-number")
    page.context.close()


def forged_ratings_change_nothing(hall: Hall, broker: Broker, ticket: str) -> None:
    """rule RATE-1: a rating sent in w01-rate's name for another seat is refused at ingest (dead
    letter); w02's own pad naming w01's citizen is refused as no service
    of its window. The citizen's one rating and follow-up stay as they were."""
    from hub.events.queries import dead_letters
    from hub.ratings.tables import RefusalRow

    engine = hall.hub.engine
    assert engine is not None
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    for device, seat, seq in (("w01-rate", "w02-a", 9001), ("w02-rate", "w02-a", 1)):
        body = Rating(seat=seat, ticket=ticket, shown_staff_id="S021", level=5)
        env = make_envelope(hall="demo", device=device, seq=seq, ts=now, synced=True, body=body)
        publish_event(broker, env)
    wait_until(
        lambda: [d for d in dead_letters(engine) if d["device"] == "w01-rate"],
        20,
        "the forged seat's dead letter",
    )
    (letter,) = [d for d in dead_letters(engine) if d["device"] == "w01-rate"]
    assert letter["code"] == "not_authorised"
    refusal = RefusalRow.__table__  # type: ignore[attr-defined]

    def refused() -> list[Any]:
        with engine.connect() as conn:  # type: ignore[union-attr]
            return list(conn.execute(sa.select(refusal.c.device, refusal.c.code)).all())

    assert wait_until(refused, 20, "w02's refusal") == [("w02-rate", "unknown_service")]
    api = httpx.Client(base_url=hall.url, timeout=10)
    log_in(api, "office")
    assert [r["level"] for r in api.get("/api/ratings").json()] == [1]
    assert len(api.get("/api/ratings/followups").json()) == 1


def a_window_that_cannot_serve_says_why(hall: Hall) -> None:
    """rule DEV-4: the window's business system fails; the desk pauses w01 with the reason and
    its counter display's bytes say 暂停服务 and why."""
    led = hall.driver("w01-led").peer
    api = httpx.Client(base_url=hall.url, timeout=10)
    log_in(api, "chief")
    paused = api.post(
        "/api/queue/windows/w01/actions", json={"action": "pause", "reason": "system_fault"}
    )
    assert paused.status_code == 200, paused.text
    wait_until(lambda: led.lines.get(0) == "暂停服务", 20, "暂停服务 on the counter display")
    wait_until(lambda: "业务系统故障" in led.lines.get(1, ""), 20, "the reason under it")


def complaint_answered_and_closed(hall: Hall, browser: Any, expect: Any) -> None:
    """rule DUTY-6: from the QR poster's page to the answer on the citizen's status link."""
    poster = browser.new_page()
    poster.goto(f"{hall.url}/c/demo/qr")
    url = qr_of(poster.locator("#qr").screenshot())
    assert url == f"{hall.url}/c/demo"
    citizen = browser.new_context(locale="zh-CN").new_page()
    citizen.goto(url)
    citizen.fill("#text", "1号窗口没有一次性告知需要的材料，让我来回跑了两趟")
    citizen.select_option("#window", "w01")
    citizen.fill("#phone", "13800138000")
    citizen.click("#send")
    ref = citizen.text_content("#ref") or ""
    assert re.fullmatch(r"TS\d{8}-0001", ref), ref
    status = citizen.get_attribute("#status-link", "href") or ""
    citizen.click("#status-link")
    assert citizen.text_content("#state") == "已受理，待分办"
    shot(citizen, "04-complaint-taken")

    office = browser.new_context(locale="zh-CN").new_page()
    form_login(office, hall.url, "office", path="/complaints")
    office.click(f"text={ref}")
    assert "来回跑了两趟" in (office.text_content("#complaint-text") or "")
    office.select_option("form[action$='/investigate'] select[name=window]", "w01")
    office.fill("form[action$='/investigate'] input[name=staff_id]", "S011")
    office.click("form[action$='/investigate'] button")
    office.select_option("#answer-form select[name=finding]", "substantiated")
    office.select_option("#answer-form select[name=told_how]", "status_page")
    office.fill("#answer-form textarea", "已核实，窗口已张贴一次性告知材料清单")
    office.click("#answer-form button")
    office.click("#close")
    expect(office.locator("h1")).to_contain_text("已办结")
    assert "联系方式已在答复后删除" in office.content()  # PRIV-1
    shot(office, "05-complaint-closed")

    citizen.goto(f"{hall.url}{status}")
    assert citizen.text_content("#state") == "已办结"
    assert "一次性告知材料清单" in (citizen.text_content("#answer") or "")
    shot(citizen, "06-complaint-answer")
