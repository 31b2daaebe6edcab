"""The duty pages on the demo hall's seeded month (SQLite): each page renders in Chinese with no
raw key leaking, the forms change through the same rules as the API, a viewer changes nothing."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.dashboard import i18n
from hub.demo.seed import seed_staff
from hub.duty.demo import seed_duty
from hub.fleet.engine import FleetPolicy
from hub.fleet.service import run_opening_check
from hub.users.accounts import Role
from tests.hub.duty.support import HALL, TZ, Clock
from tests.support.auth import full_app, logged_in

NOW = datetime(2026, 12, 9, 8, 20, tzinfo=TZ)  # a Wednesday, before opening
RAW = re.compile(r"\b(basis|cause|flag|item|log|early|inspect|points|source|roster_err)_[a-z_A-Z]+")


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def app(sqlite_engine: Engine, clock: Clock) -> Any:
    seed_staff(sqlite_engine, HALL)
    seed_duty(sqlite_engine, HALL, NOW)
    return full_app(sqlite_engine, clock=clock)


def test_every_duty_page_renders_in_chinese(app: Any, sqlite_engine: Engine) -> None:
    """Rules DUTY-1..5: roster, ledger, duty chief, visits, weekly report, notice."""
    client = logged_in(TestClient(app), sqlite_engine, Role.ADMIN)
    i18n.clear_missed()
    pages = {
        "/duty": ["岗位台账", "B岗顶岗", "替岗", "值班长"],
        "/duty/roster": ["排班表", "按时报送", "下载模板"],
        "/duty/chief": ["值班长轮值", "值班长日志"],
        "/duty/visits": ["领导坐班", "窗口检查", "明察暗访"],
        "/duty/weekly?week=2026-12-01": ["值班长周报", "每日情况", "签字"],
        "/duty/assessment?month=2026-12": ["考核通报", "人员考核", "窗口考核"],
    }
    for path, words in pages.items():
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:500])
        for w in words:
            assert w in r.text, (path, w)
        assert not RAW.search(r.text), (path, RAW.search(r.text))
    assert i18n.missed() == set()  # every word, run-time keys too, is in the catalogue
    assert "值班与排班" in client.get("/").text  # in the navigation
    assert client.get("/duty/roster?month=2026-13").status_code == 422


def test_forms_file_a_roster_acknowledge_and_check(
    app: Any, sqlite_engine: Engine, clock: Clock
) -> None:
    """Rules DUTY-1, DEV-1, POST-8, DUTY-5 through the pages; a viewer is refused."""
    viewer = logged_in(TestClient(app, follow_redirects=False), sqlite_engine, Role.VIEWER)
    csv = "工号,日期,岗位,岗别\nS011,2027-01-04,w01-a,A岗\n".encode()
    files = {"file": ("r.csv", csv, "text/csv")}
    assert viewer.post("/duty/roster/import", files=files).status_code == 403
    admin = logged_in(TestClient(app, follow_redirects=False), sqlite_engine, Role.ADMIN)
    bad = admin.post(
        "/duty/roster/import", files={"file": ("r.csv", "工号,日期\nS011,x\n".encode(), "text/csv")}
    )
    assert bad.status_code == 200 and "表头缺少列" in bad.text
    ok = admin.post(
        "/duty/roster/cell",
        data={"day": "2026-12-10", "seat": "w02-a", "role": "B", "staff_id": "S902"},
    )
    assert ok.status_code == 303 and "result=filed" in ok.headers["location"]
    run_opening_check(sqlite_engine, HALL, NOW, FleetPolicy())
    chief = logged_in(TestClient(app, follow_redirects=False), sqlite_engine, Role.DUTY_CHIEF)
    assert chief.post("/duty/opening/ack", data={"note": "正常"}).status_code == 303
    assert "已确认" in chief.get("/duty").text
    app.state.duty_ticker.tick()  # plans today's checks
    page = chief.get("/duty").text
    ids = re.findall(r'action="/duty/checks/(\d+)"', page)
    assert ids == []  # not due yet: no form, no time shown
    clock.at = NOW + timedelta(hours=10)
    page = chief.get("/duty").text
    ids = re.findall(r'action="/duty/checks/(\d+)"', page)
    assert len(ids) == 2
    form = {"w01-a.seen": "on", "w01-a.on_post": "on", "w01-a.badge": "on", "w01-a.sign": "on"}
    assert chief.post(f"/duty/checks/{ids[0]}", data=form).status_code == 303
    page = chief.get("/duty").text
    assert "✗" in page  # the untidy desk is a finding
    assert chief.post("/duty/points", data={"late": "-3", "month": "2026-12"}).status_code == 403
    r = admin.post("/duty/points", data={"late": "-3", "month": "2026-12"})
    assert r.status_code == 303
    notice = admin.get("/duty/assessment?month=2026-12").text
    assert 'name="late" value="-3.0"' in notice
