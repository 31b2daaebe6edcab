"""The kiosk's touch screen in headless Chromium against a real hub, broker and pty printer:
with the paper out the page still gives the number, large, says why, and offers it as a QR
code that a phone reads (decoded here from a screenshot by OpenCV); the hall screen page
shows the notice (DEV-4). A citizen whose matter cannot be handled now leaves a number on the
same page: sealed at rest, erased after the call (DEV-4, PRIV-1). The page's token refuses
forged posts."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
import sqlalchemy as sa

from edge.agent import Agent
from edge.settings import AgentSettings
from hub.complaints import callbacks
from hub.server import HubServer
from hub.settings import HubSettings
from models.contact import new_keypair
from models.layout import load_hall
from tests.support.broker import Broker
from tests.support.waiting import wait_until

DEMO = Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def hall_rig(
    broker: Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_hub_db: str
) -> Iterator[tuple[str, Agent]]:
    monkeypatch.setenv("HK_CONTACT_KEY", new_keypair()[0])
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        broker_url=broker.url,
        hall_dirs=[DEMO],
        host="127.0.0.1",
        port=0,
        secret_key="test-secret",
        auth_required=True,  # the kiosk page needs no login even so
        client_id=f"hk-kp-{uuid.uuid4().hex[:6]}",
        batch_ms=5,
    )
    hub = HubServer(settings, area_modules=["hub.queue.area"]).start()
    edge = AgentSettings(
        broker_url=broker.url, data_dir=tmp_path / "edge", clock_synced=True, heartbeat_s=3600
    )
    devices = ["hall-kiosk", "hall-printer"]
    pi = Agent(load_hall(DEMO), "pi-hall", edge, devices=devices).start()
    for rt in pi.runtimes.values():
        assert rt.session.wait_ready(20)
    yield hub.api_url, pi
    pi.stop()
    hub.stop()


def qr_of(png: bytes) -> str:
    """The text of the QR code in a screenshot."""
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    text, points, _ = cv2.QRCodeDetector().detectAndDecode(img)
    assert points is not None, "no QR code found in the screenshot"
    return str(text)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine")
def test_paper_out_the_kiosk_page_shows_the_number_large_with_a_qr_code(
    hall_rig: tuple[str, Agent], tmp_path: Path
) -> None:
    # rule DEV-4, PRIV-1
    from playwright.sync_api import sync_playwright

    url, pi = hall_rig
    printer: Any = pi.runtime("hall-printer").driver
    printer.peer.paper = False
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{url}/kiosk/demo/hall-kiosk")
            assert "社保业务" in (page.text_content("#services") or "")
            page.click("button[data-service=social]")
            page.wait_for_selector("#result.on", timeout=15_000)
            assert page.text_content("#ticket-number") == "A001"
            assert page.text_content("#result-title") == "您的号码 A001"
            assert "取号纸已用完" in (page.text_content("#result-detail") or "")
            size = page.eval_on_selector("#ticket-number", "e => getComputedStyle(e).fontSize")
            assert float(size.removesuffix("px")) >= 150  # large enough to note from afar
            shot = page.locator("#qr").screenshot()
            assert qr_of(shot).startswith("示范政务服务大厅 取号 A001 社保业务")
            assert printer.peer.tickets == []
            # the hall screen's page carries the notice (pushed, or on load)
            hall = browser.new_page()
            hall.goto(f"{url}/api/queue/hall")
            hall.wait_for_function(
                "document.getElementById('notices').textContent.includes('打印纸已用完')",
                timeout=10_000,
            )
            page.click("#result-close")
            printer.peer.paper = True
            page.click("button[data-service=social]")
            page.wait_for_selector("body[data-ticket=A002]", timeout=15_000)  # CSP: no eval
            assert page.get_attribute("body", "data-printed") == "true"
            assert page.text_content("#result-title") == "请取走号码 A002"
            assert not page.is_visible("#qr")
            wait_until(lambda: printer.peer.tickets, what="the printed slip")
            hall.wait_for_function(
                "document.getElementById('notices').textContent === ''", timeout=10_000
            )
            leaves_a_number(page, sa.create_engine(f"sqlite:///{tmp_path / 'hub.db'}"))
        finally:
            browser.close()
    refuses_forged_posts(url)  # the same rig: a hub start costs more than the checks


def leaves_a_number(page: Any, engine: sa.Engine) -> None:
    """The kiosk's call-back form: a wrong number told why, a right one sealed at rest and
    erased once the citizen is reached (rule DEV-4, PRIV-1)."""
    page.click("#callback-open")
    page.select_option("#callback-service", "property")
    page.fill("#callback-phone", "12345")
    page.fill("#callback-note", "不动产系统暂停，明天再来")
    page.click("#callback-send")
    from playwright.sync_api import expect  # the page's CSP forbids wait_for_function's eval

    expect(page.locator("#callback-done")).to_contain_text("11位手机号码")
    page.fill("#callback-phone", "13800138000")
    page.click("#callback-send")
    expect(page.locator("#callback-done")).to_contain_text("回电", timeout=10_000)
    assert page.input_value("#callback-phone") == ""  # not left on a public screen
    (cb,) = callbacks.callbacks(engine, "demo", open_only=True)
    assert (cb["source"], cb["service"], cb["has_contact"]) == ("hall-kiosk", "property", True)
    with engine.connect() as conn:
        assert "13800138000" not in str(conn.execute(sa.select(callbacks.CALLBACK)).all())
    assert callbacks.reveal_callback(engine, cb["id"]) == "13800138000"
    done = callbacks.callback_step(
        engine, cb["id"], "desk", cb["opened_at"], result="reached", outcome="已约明天办理"
    )
    assert done["state"] == "done" and not done["has_contact"]
    with engine.connect() as conn:
        (stored,) = conn.execute(sa.select(callbacks.CALLBACK.c.contact)).all()
    assert stored.contact is None  # PRIV-1: erased after the call


def refuses_forged_posts(url: str) -> None:
    """An attacker's page cannot take numbers through a citizen's browser (no token, another
    origin), nor send what the form never sends."""
    with httpx.Client(base_url=url, timeout=20) as c:
        forged = c.post("/kiosk/demo/hall-kiosk/tickets", json={"service": "social"})
        assert forged.status_code == 403 and "页面已过期" in forged.json()["detail"]
        page = c.get("/kiosk/demo/hall-kiosk")
        assert page.status_code == 200 and page.headers["x-frame-options"] == "DENY"
        token = page.text.split('data-token="')[1].split('"')[0]
        bad = c.post(
            "/kiosk/demo/hall-kiosk/tickets",
            json={"service": "social", "extra": 1},
            headers={"X-Kiosk-Token": token},
        )
        assert bad.status_code == 422
        other_site = c.post(
            "/kiosk/demo/hall-kiosk/tickets",
            json={"service": "social"},
            headers={"X-Kiosk-Token": token, "Origin": "http://evil.example"},
        )
        assert other_site.status_code == 403
        assert c.get("/kiosk/demo/w01-keypad").status_code == 404  # not a kiosk
        assert c.get("/kiosk/demo/nope").status_code == 404
        unknown = c.post(
            "/kiosk/demo/hall-kiosk/tickets",
            json={"service": "nope"},
            headers={"X-Kiosk-Token": token},
        )
        assert unknown.status_code == 422 and unknown.json()["detail"] == "本机不办理这项业务"
