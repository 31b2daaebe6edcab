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


def test_chief_and_visit_forms(app: Any, sqlite_engine: Engine) -> None:
    """Rules DUTY-2, DUTY-3, DUTY-4 through the duty chief and visits pages' forms: the office
    sets the rotation and a stand-in, the duty chief writes the log, a sitting is registered
    and recorded, an inspection recorded; refusals on the problem page in Chinese; a viewer is
    refused."""
    viewer = logged_in(TestClient(app, follow_redirects=False), sqlite_engine, Role.VIEWER)
    assert viewer.post("/duty/log", data={"text": "x"}).status_code == 403
    assert (
        viewer.post("/duty/inspections", data={"window": "w01", "inspector": "x"}).status_code
        == 403
    )
    office = logged_in(TestClient(app, follow_redirects=False), sqlite_engine, Role.SUPERVISOR)
    chief = logged_in(TestClient(app, follow_redirects=False), sqlite_engine, Role.DUTY_CHIEF)
    r = office.post("/duty/rotation", data={"anchor": "2026-12-14", "order": "S011,S031"})
    assert r.status_code == 303
    r = office.post(
        "/duty/standins",
        data={"chief": "S011", "staff_id": "S021", "start": "2026-12-15", "end": "2026-12-15"},
    )
    assert r.status_code == 303
    wrong = office.post(
        "/duty/standins",
        data={"chief": "S031", "staff_id": "S021", "start": "2026-12-15", "end": "2026-12-15"},
    )
    assert wrong.status_code == 200 and "duty-problems" in wrong.text and "不是值班长" in wrong.text
    assert (
        chief.post("/duty/log", data={"text": "交接班正常", "kind": "handover"}).status_code == 303
    )
    page = office.get("/duty/chief").text
    assert "交接班正常" in page and "2026-12-14" in page
    r = office.post(
        "/duty/sittings", data={"leader": "李局长", "window": "w03", "day": "2026-12-09"}
    )
    assert r.status_code == 303
    past = office.post(
        "/duty/sittings", data={"leader": "王主任", "window": "w03", "day": "2026-12-01"}
    )
    assert past.status_code == 200 and "不能登记已过去的日子" in past.text
    visits = office.get("/duty/visits?month=2026-12").text
    ids = re.findall(r'action="/duty/sittings/(\d+)/sat"', visits)
    assert ids, "a registered sitting of today has its record form"
    assert office.post(f"/duty/sittings/{ids[-1]}/sat", data={"note": "坐班"}).status_code == 303
    r = chief.post(
        "/duty/inspections",
        data={"window": "w02", "inspector": "督查考核科", "problem": "1", "findings": "工作牌未戴"},
    )
    assert r.status_code == 303
    visits = office.get("/duty/visits?month=2026-12").text
    assert "工作牌未戴" in visits and "李局长" in visits
    odd = chief.post(
        "/duty/inspections", data={"window": "w02", "inspector": "x", "staff_id": "Z9"}
    )
    assert odd.status_code == 200 and "请核对工号" in odd.text
