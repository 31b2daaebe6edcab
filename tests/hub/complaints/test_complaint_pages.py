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
from datetime import UTC, datetime
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
from tests.hub.attendance.dbhelpers import add_staff
from tests.support.auth import PASSWORD, full_app, make_user

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def server(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The hub's full app (every area, logins on) served by uvicorn; a fresh rate limit."""
    private, _ = new_keypair()
    monkeypatch.setenv("HK_CONTACT_KEY", private)
    for limiter in (public.PER_CLIENT, public.PER_HALL, public.STATUS_MISSES):
        limiter._hits.clear()
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
    add_staff(sqlite_engine, ("S0031", "医保局", "w03"))  # the staff member concerned exists
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


def client_from(server: str, address: str) -> httpx.Client:
    """A client whose requests come from `address` (another machine on the hall's network)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=server, timeout=20, transport=transport)


def test_a_flood_from_one_client_does_not_silence_the_others(
    server: str, sqlite_engine: Engine
) -> None:
    # rule DUTY-6: complaints are taken at any time; one client cannot use up the page
    good = {"text": "取号后等了两个小时没有叫号", "window": "w01"}
    with client_from(server, "127.0.0.2") as flooder:
        token = form_token(flooder)
        statuses = [
            flooder.post(
                "/c/demo",
                data={**good, "token": token},
                headers={"X-Forwarded-For": f"10.0.0.{n}"},  # a forged origin changes nothing
            ).status_code
            for n in range(12)
        ]
        assert statuses == [200] * 5 + [429] * 7  # public_per_hour's default
        late = flooder.post("/c/demo", data={**good, "token": form_token(flooder)})
        assert late.status_code == 429 and late.headers["retry-after"] == "3600"
        assert "请一小时后再试" in late.text
    assert len(store.listing(sqlite_engine, "demo")) == 5
    with client_from(server, "127.0.0.3") as citizen:  # the next citizen is still heard
        other = citizen.post("/c/demo", data={**good, "token": form_token(citizen)})
        assert other.status_code == 200 and re.search(r"TS\d{8}-0006", other.text)


def test_a_guessed_status_link_shows_nothing_and_a_scan_is_stopped(
    server: str, sqlite_engine: Engine
) -> None:
    # rule DUTY-6 (the answer told to the complainant, to nobody else), PRIV-1
    good = {"text": "取号后等了两个小时没有叫号", "window": "w01", "phone": "13912345678"}
    with httpx.Client(base_url=server, timeout=20) as c:
        links = []
        for _ in range(2):
            done = c.post("/c/demo", data={**good, "token": form_token(c)})
            links.append(re.search(r'href="(/c/demo/status/[^"]+)"', done.text).group(1))  # type: ignore[union-attr]
    (ref, key), (ref2, key2) = (link.split("/")[-1].split("?k=") for link in links)
    assert len(key) >= 24  # 144 random bits: not guessable
    (mine,) = [c for c in store.listing(sqlite_engine, "demo") if c["ref"] == ref]
    store.act(sqlite_engine, mine["id"], "investigate", "li", datetime.now(UTC))
    store.act(
        sqlite_engine,
        mine["id"],
        "answer",
        "li",
        datetime.now(UTC),
        note="已约谈窗口负责人",
        finding="partly",
        told_how="status_page",
    )
    with client_from(server, "127.0.0.4") as scanner:
        unknown = scanner.get("/c/demo/status/TS20990101-0001?k=" + key)
        assert unknown.status_code == 404
        tries = [
            f"/c/demo/status/{ref}",  # no key
            f"/c/demo/status/{ref}?k=guess",
            f"/c/demo/status/{ref}?k={key[:-1]}{'A' if key[-1] != 'A' else 'B'}",  # one off
            f"/c/demo/status/{ref}?k={key2}",  # another complainant's key
            f"/c/demo/status/{ref2}?k={key}",  # a neighbouring reference
            f"/c/demo/status/{ref}?k={key}{'x' * 5000}",  # overlong
        ]
        for url in tries:
            seen = scanner.get(url)
            assert seen.status_code == 404 and seen.text == unknown.text, url  # no oracle
            assert "已约谈" not in seen.text and "13912345678" not in seen.text
        for n in range(13):  # a scan of the sequential references
            assert scanner.get(f"/c/demo/status/TS20261203-{n:04d}?k=x").status_code == 404
        stopped = scanner.get(f"/c/demo/status/{ref}?k={key}")  # even the right one, now
        assert stopped.status_code == 429 and "查询失败次数过多" in stopped.text
    with httpx.Client(base_url=server, timeout=20) as owner:  # the complainant is not stopped
        page = owner.get(f"/c/demo/status/{ref}?k={key}")
        assert page.status_code == 200 and "已约谈窗口负责人" in page.text
