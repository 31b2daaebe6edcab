"""The public complaint page and the dashboard's complaint pages on a real server: a citizen
complains on the page the hall's QR code opens (headless Chromium), a duty chief investigates
and answers it in the dashboard, the citizen reads the answer on the status page (DUTY-6); the
page refuses forged, malformed, robot and flooding posts; the contact is erased once answered
(PRIV-1)."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy.engine import Engine

from hub.complaints import public, store
from hub.users.accounts import Role
from models.contact import new_keypair
from tests.support.auth import PASSWORD, full_app, make_user

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def server(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The hub's full app (every area, logins on) served by uvicorn; a fresh rate limit."""
    private, _ = new_keypair()
    monkeypatch.setenv("HK_CONTACT_KEY", private)
    public.PER_CLIENT._hits.clear()
    public.PER_HALL._hits.clear()
    app = full_app(sqlite_engine)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    sock = config.bind_socket()
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    srv.should_exit = True
    thread.join(timeout=10)


def form_token(client: httpx.Client) -> str:
    page = client.get("/c/demo")
    assert page.status_code == 200 and page.headers["x-frame-options"] == "DENY"
    match = re.search(r'name="token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def refreshed(page: httpx.Response) -> str:
    match = re.search(r'name="token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def test_the_public_page_refuses_what_it_should(server: str, sqlite_engine: Engine) -> None:
    # rule DUTY-6: validated, CSRF-safe without a login, rate-limited
    good = {"text": "取号后等了两个小时没有叫号", "window": "w01"}
    with httpx.Client(base_url=server, timeout=20) as c:
        assert c.post("/c/demo", data=good).status_code == 403  # no token: a forged post
        token = form_token(c)
        other_site = c.post(
            "/c/demo", data={**good, "token": token}, headers={"Origin": "http://evil.example"}
        )
        assert other_site.status_code == 403
        short = c.post("/c/demo", data={"text": "太慢", "token": token})
        assert short.status_code == 422 and "请至少写 10 个字" in short.text
        assert "太慢" in short.text  # what was typed is kept in the form
        token = refreshed(short)  # each form carries a fresh token
        phone = c.post("/c/demo", data={**good, "phone": "12345", "token": token})
        assert phone.status_code == 422 and "11位手机号码" in phone.text
        window = c.post("/c/demo", data={**good, "window": "w99", "token": refreshed(phone)})
        assert window.status_code == 422 and "请从列表中选择窗口" in window.text
        token = refreshed(window)
        robot = c.post("/c/demo", data={**good, "website": "http://spam", "token": token})
        assert robot.status_code == 200  # answered as if taken; nothing kept
        assert store.listing(sqlite_engine, "demo") == []
        with sqlite_engine.begin() as conn:
            settings = store.ComplaintSettings(public_per_hour=6)  # 4 used above
            store.save_settings(conn, "demo", settings, store.datetime.now(store.ZoneInfo("UTC")))
        statuses = [c.post("/c/demo", data={**good, "token": token}).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert len(store.listing(sqlite_engine, "demo")) == 2
        assert c.get("/c/nowhere").status_code == 404
        poster = c.get("/c/demo/qr")
        svg = poster.text.split('<div class="qr" id="qr">')[1]
        assert "<svg" in svg and f"{server}/c/demo" in poster.text


def qr_text(png: bytes) -> str:
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(img)
    return str(text)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine")
def test_a_complaint_from_the_qr_page_is_answered_and_closed(
    server: str, sqlite_engine: Engine
) -> None:
    # rule DUTY-6, PRIV-1 (the "done when")
    from playwright.sync_api import sync_playwright

    make_user(sqlite_engine, "chief", Role.DUTY_CHIEF)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            # the poster's QR code opens the complaint page
            poster = browser.new_page()
            poster.goto(f"{server}/c/demo/qr")
            url = qr_text(poster.locator("#qr").screenshot())
            assert url == f"{server}/c/demo"
            citizen = browser.new_page()
            citizen.goto(url)
            citizen.fill("#text", "3号窗口工作人员不解释材料要求，让我跑了三趟")
            citizen.select_option("#window", "w03")
            citizen.fill("#phone", "13912345678")
            citizen.click("#send")
            ref = citizen.text_content("#ref") or ""
            assert re.fullmatch(r"TS\d{8}-0001", ref)
            status_url = citizen.get_attribute("#status-link", "href")
            citizen.click("#status-link")
            assert citizen.text_content("#state") == "已受理，待分办"

            chief = browser.new_context().new_page()
            chief.goto(f"{server}/login?next=/complaints")
            chief.fill("input[name=username]", "chief")
            chief.fill("input[name=password]", PASSWORD)
            chief.click("#login-submit")
            chief.wait_for_url(f"{server}/complaints")
            chief.click(f"text={ref}")
            assert "让我跑了三趟" in (chief.text_content("#complaint-text") or "")
            chief.click("#reveal")
            assert "13912345678" in (chief.text_content("#revealed") or "")
            chief.select_option("form[action$='/investigate'] select[name=window]", "w03")
            chief.fill("form[action$='/investigate'] input[name=staff_id]", "S0031")
            chief.click("form[action$='/investigate'] button")
            chief.select_option("#answer-form select[name=finding]", "substantiated")
            chief.select_option("#answer-form select[name=told_how]", "phone")
            chief.fill("#answer-form textarea", "已核实，对窗口人员批评教育，材料清单已贴在窗口")
            chief.click("#answer-form button")
            chief.click("#close")
            assert "已办结" in (chief.text_content("h1") or "")
            assert "联系方式已在答复后删除" in chief.content()

            citizen.goto(f"{server}{status_url}")
            assert citizen.text_content("#state") == "已办结"
            assert "材料清单已贴在窗口" in (citizen.text_content("#answer") or "")
        finally:
            browser.close()
    (c,) = store.listing(sqlite_engine, "demo")
    assert (c["window"], c["staff_id"], c["finding"], c["told_how"]) == (
        "w03",
        "S0031",
        "substantiated",
        "phone",
    )
    with sqlite_engine.connect() as conn:
        assert conn.execute(sa.select(store.COMPLAINT.c.contact)).scalar() is None  # PRIV-1
    got: Any = store.get(sqlite_engine, c["id"])
    assert [e["actor"] for e in got["log"]] == ["citizen", "chief", "chief", "chief", "chief"]
