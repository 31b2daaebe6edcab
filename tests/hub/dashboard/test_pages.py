"""Dashboard pages without a browser: login, roles, languages, the hall map, leave approval."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.compliance.tables import SeatAssignment
from hub.ingest.hooks import IngestBatch
from hub.users.accounts import Role
from models.envelope import make_envelope
from models.events import AwaySign, EventType, Presence
from tests.hub.attendance.dbhelpers import add_staff
from tests.hub.dashboard.conftest import form_login

PAGES = ("/", "/devices", "/attendance", "/compliance", "/queue", "/alerts", "/ratings")


def test_pages_need_a_login_and_the_form_logs_in(app: Any, sqlite_engine: Engine) -> None:
    from tests.support.auth import PASSWORD, make_user

    client = TestClient(app, follow_redirects=False)
    for page in (*PAGES, "/audit", "/fragments/hallmap"):
        r = client.get(page)
        assert r.status_code == 303 and r.headers["location"] == f"/login?next={page}", page
    assert client.get("/live/stream").status_code == 401
    make_user(sqlite_engine, "li")
    forged = client.post("/login", data={"username": "li", "password": PASSWORD})
    assert forged.status_code == 403 and "已过期" in forged.text  # no login CSRF
    bad = form_login(client, "li", "nope", "/devices")
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text
    ok = form_login(client, "li", PASSWORD, "https://evil.example/")
    assert ok.status_code == 303 and ok.headers["location"] == "/"  # only local paths
    assert "HttpOnly" in ok.headers["set-cookie"]
    devices = client.get("/devices")
    assert devices.status_code == 200 and devices.headers["x-frame-options"] == "DENY"


def test_every_page_for_a_viewer_in_both_languages(
    browser_as: Callable[[Role], TestClient],
) -> None:
    viewer = browser_as(Role.VIEWER)
    for page in PAGES:
        r = viewer.get(page)
        assert r.status_code == 200, (page, r.text[:300])
        assert 'lang="zh-CN"' in r.text
    assert "大厅实况" in viewer.get("/").text
    en = viewer.get("/?lang=en")
    assert 'lang="en"' in en.text and "Live hall" in en.text
    assert "hk_lang=en" in en.headers["set-cookie"]
    assert 'lang="en"' in viewer.get("/devices").text  # the cookie keeps the choice
    assert viewer.get("/audit").status_code == 403
    assert "/audit" not in viewer.get("/").text  # not in the navigation either
    r = viewer.post("/devices/opening-check", data={"csrf_token": viewer.csrf})
    assert r.status_code == 403
    assert "<svg" in viewer.get("/devices").text  # the status chart


def test_hall_map_shows_the_away_sign_and_presence(app: Any, sqlite_engine: Engine) -> None:
    add_staff(sqlite_engine, ("s1", "tax", "w01"))
    with Session(sqlite_engine) as s:
        s.add(SeatAssignment(hall="demo", seat="w01-a", window="w01", staff_id="s1", role="A"))
        s.commit()
    from tests.support.auth import logged_in

    client = logged_in(TestClient(app), sqlite_engine, Role.DUTY_CHIEF)
    seat = re.compile(r'id="seat-w01-a" data-state="(\w+)"')
    assert seat.search(client.get("/fragments/hallmap").text).group(1) == "unknown"  # type: ignore[union-attr]
    now = datetime.now(UTC)
    events = [
        make_envelope(
            hall="demo",
            device="w01-a-radar",
            seq=1,
            ts=now - timedelta(seconds=30),
            synced=True,
            body=Presence(seat="w01-a", present=True),
        ),
        make_envelope(
            hall="demo",
            device="w01-a-sign",
            seq=1,
            ts=now - timedelta(seconds=20),
            synced=True,
            body=AwaySign(seat="w01-a"),
            type=EventType.AWAY_SIGN_PLACED,
        ),
    ]
    batch = IngestBatch(events=events[:1], received_at=now)
    for projector in app.state.projectors:
        projector.project(sqlite_engine, batch)
    page = client.get("/fragments/hallmap").text
    assert seat.search(page).group(1) == "on_post"  # type: ignore[union-attr]
    assert "name-s1" in page
    batch = IngestBatch(events=events[1:], received_at=now)
    for projector in app.state.projectors:
        projector.project(sqlite_engine, batch)
    page = client.get("/fragments/hallmap").text
    assert seat.search(page).group(1) == "away"  # type: ignore[union-attr]
    assert "暂停服务牌" in page and "data-since=" in page
