"""The attendance page without a browser: statuses to date, why a verdict, leave and 补卡 forms
that refuse nonsense beside the field, two-account approval, revocation (issues 15 and 18)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.ingest.hooks import IngestBatch
from hub.users.accounts import Role, audit_entries
from tests.hub.attendance.dbhelpers import add_staff, punch_env
from tests.hub.attendance.helpers import at
from tests.hub.dashboard.conftest import form_login
from tests.support.auth import PASSWORD, full_app, make_user

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 on Wednesday 25 November in the hall
DAY = "2026-11-24"


@pytest.fixture
def app(sqlite_engine: Engine) -> Any:
    """The hub's app with the dashboard, on a fixed hall clock."""
    return full_app(sqlite_engine, clock=lambda: NOW)


@pytest.fixture
def browser_as(app: Any, sqlite_engine: Engine) -> Callable[..., TestClient]:
    """A client logged in through the form as a new user with a role (name: u-<role>[-n])."""

    def make(role: Role, name: str = "") -> TestClient:
        user = make_user(sqlite_engine, name or f"u-{role.value}", role)
        client = TestClient(app, follow_redirects=False)
        assert form_login(client, user, PASSWORD).status_code == 303
        client.csrf = client.get("/api/auth/me").json()["csrf_token"]  # type: ignore[attr-defined]
        return client

    return make


def workflow(app: Any, client: TestClient) -> Any:
    client.get("/")  # the dashboard is attached on the first page request
    return app.state.dashboard.attendance.workflow


def test_day_to_date_statuses_and_why(
    app: Any, sqlite_engine: Engine, browser_as: Callable[..., TestClient]
) -> None:
    add_staff(sqlite_engine, ("s1", "tax", "w01"), ("s2", "tax", "w01"))
    viewer = browser_as(Role.VIEWER)
    events = [punch_env("s1", at(DAY, t), i) for i, t in enumerate(("10:40", "12:00"), 1)]
    events.append(punch_env("s1", at("2026-11-25", "08:20"), 3))
    for projector in app.state.projectors:
        projector.project(sqlite_engine, IngestBatch(events=events, received_at=NOW))
    page = viewer.get(f"/attendance?day={DAY}").text
    row = re.search(r'<tr id="day-s1">.*?</tr>', page, re.S).group(0)  # type: ignore[union-attr]
    # rule ATT-3 with the half-day pairing: 10:40 then 12:00 is 130 min late: 脱岗
    assert "上午到岗 10:40 脱岗 130分钟" in row and "旷工" in row
    today = viewer.get("/attendance").text  # 25 Nov, 10:00: the afternoon is not due yet
    s2 = re.search(r'<tr id="day-s2">.*?</tr>', today, re.S).group(0)  # type: ignore[union-attr]
    assert s2.count('data-status="not_due"') == 4 and "未到" in s2 and "旷工" not in s2
    assert "统计截至 2026-11-25" in today
    month = re.search(r'<tr id="month-s2">.*?</tr>', today, re.S).group(0)  # type: ignore[union-attr]
    cells = re.findall(r"<td>([^<]*)</td>", month)
    assert cells[1] == "18"  # 2 to 25 November: 18 workdays to date, not 21
    why = viewer.get(f"/attendance/day/s1/{DAY}")
    assert why.status_code == 200
    am_in = re.search(r'<tr id="why-AM_IN".*?</tr>', why.text, re.S).group(0)  # type: ignore[union-attr]
    assert "10:40:00, 12:00:00" in am_in and "absent_after = 60" in am_in
    assert "先为到岗，后为离岗" in am_in and 'href="/rules/ATT-3"' in am_in
    assert "最晚到岗 08:30" in am_in
    en = viewer.get(f"/attendance/day/s1/{DAY}?lang=en").text
    assert "Absent from post" in en and "arrival, then leave" in en
    assert viewer.get("/attendance/day/s1/2026-11-28").status_code == 404  # a Saturday


def test_leave_needs_two_accounts_with_the_right_roles(
    app: Any, sqlite_engine: Engine, browser_as: Callable[..., TestClient]
) -> None:
    add_staff(sqlite_engine, ("s1", "tax", "w01"), ("s2", "tax", "w01"))
    lead, chief, office, viewer = (
        browser_as(r) for r in (Role.WINDOW_LEAD, Role.DUTY_CHIEF, Role.SUPERVISOR, Role.VIEWER)
    )
    wf = workflow(app, lead)
    start = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    leave_id = wf.request_leave(
        actor="clerk",
        staff_id="s1",
        kind="sick",
        start=start,
        end=start + timedelta(hours=8),
        certificate="县医院 117",
    )
    url = f"/attendance/leaves/{leave_id}/decide"
    assert f"leave-{leave_id}" in viewer.get("/attendance").text
    assert 'class="approve"' not in viewer.get("/attendance").text
    r = viewer.post(url, data={"csrf_token": viewer.csrf})  # type: ignore[attr-defined]
    assert r.status_code == 403 and "error-message" in r.text
    assert lead.post(url, data={"approve": "1"}).status_code == 403  # no CSRF token
    r = lead.post(url, data={"approve": "1", "why": "ok", "csrf_token": lead.csrf})  # type: ignore[attr-defined]
    assert r.status_code == 303 and wf.get_leave(leave_id)["status"] == "dept_approved"
    r = chief.post(url, data={"approve": "1", "csrf_token": chief.csrf})  # type: ignore[attr-defined]
    assert r.status_code == 403 and "只有督查考核科" in r.text  # rule ATT-5: the office stage
    # the department head's account promoted to the office cannot take the second stage too
    lead_office = browser_as(Role.SUPERVISOR, "u-window_lead-2")
    other = wf.request_leave(
        actor="clerk", staff_id="s2", kind="personal", start=start, end=start + timedelta(hours=4)
    )
    wf.decide_leave(actor="u-window_lead-2", leave_id=other, stage="department", approve=True)
    page = lead_office.get("/attendance").text
    row = re.search(rf'<tr id="leave-{other}".*?</tr>', page, re.S).group(0)  # type: ignore[union-attr]
    assert 'class="approve"' not in row and 'class="revoke"' in row
    r = lead_office.post(
        f"/attendance/leaves/{other}/decide",
        data={"approve": "1", "csrf_token": lead_office.csrf},  # type: ignore[attr-defined]
    )
    assert r.status_code == 403 and "两个不同账号" in r.text
    r = office.post(
        f"/attendance/leaves/{other}/decide",
        data={"approve": "1", "why": "证明齐全", "csrf_token": office.csrf},  # type: ignore[attr-defined]
    )
    assert r.status_code == 303 and wf.get_leave(other)["office_by"] == "u-supervisor"
    # nobody approves their own leave: an account named with the staff id is that person
    add_staff(sqlite_engine, ("u-duty_chief", "tax", "w03"))
    mine = wf.request_leave(
        actor="u-duty_chief",
        staff_id="u-duty_chief",
        kind="personal",
        start=start,
        end=start + timedelta(hours=4),
    )
    r = chief.post(
        f"/attendance/leaves/{mine}/decide",
        data={"approve": "1", "csrf_token": chief.csrf},  # type: ignore[attr-defined]
    )
    assert r.status_code == 403 and "不能审批本人的请假" in r.text
    # rule ATT-7: the only staff of a window needs a substitute first; said on the page
    add_staff(sqlite_engine, ("s9", "tax", "w08"))
    sole = wf.request_leave(
        actor="clerk", staff_id="s9", kind="annual", start=start, end=start + timedelta(hours=8)
    )
    wf.decide_leave(actor="u-window_lead", leave_id=sole, stage="department", approve=True)
    r = office.post(
        f"/attendance/leaves/{sole}/decide",
        data={"csrf_token": office.csrf},  # type: ignore[attr-defined]
    )
    assert r.status_code == 409 and 'id="error-message"' in r.text
    assert "w08 窗口唯一的工作人员" in r.text and wf.get_leave(sole)["status"] == "dept_approved"
    # revoke, with a reason, by the office
    revoke = f"/attendance/leaves/{other}/revoke"
    r = lead.post(revoke, data={"why": "x", "csrf_token": lead.csrf})  # type: ignore[attr-defined]
    assert r.status_code == 403
    r = office.post(revoke, data={"why": " ", "csrf_token": office.csrf})  # type: ignore[attr-defined]
    assert r.status_code == 422 and "请填写原因" in r.text
    r = office.post(revoke, data={"why": "冒领", "csrf_token": office.csrf})  # type: ignore[attr-defined]
    assert r.status_code == 303 and wf.get_leave(other)["status"] == "revoked"
    actions = [(e.action, e.actor) for e in reversed(audit_entries(sqlite_engine))]
    assert ("leave.approve", "u-window_lead") in actions and (
        "leave.revoke",
        "u-supervisor",
    ) in actions


def test_forms_refuse_nonsense_beside_the_field(
    app: Any, sqlite_engine: Engine, browser_as: Callable[..., TestClient]
) -> None:
    add_staff(sqlite_engine, ("s3", "tax", "w02"), ("s4", "tax", "w02"))
    lead, office = browser_as(Role.WINDOW_LEAD), browser_as(Role.SUPERVISOR)
    viewer = browser_as(Role.VIEWER)
    page = lead.get(f"/attendance?day={DAY}").text
    assert 'id="leave-form"' in page and 'id="correction-form"' in page
    assert 'id="leave-form"' not in viewer.get("/attendance").text
    form = {
        "staff_id": "s3",
        "kind": "personal",
        "start": "2026-11-24T08:30",
        "end": "2026-11-24T12:00",
        "reason": "家中有事",
        "csrf_token": lead.csrf,  # type: ignore[attr-defined]
    }
    r = lead.post("/attendance/leaves", data=form)
    assert r.status_code == 303
    wf = workflow(app, lead)
    (leave,) = [lv for lv in wf.list_leaves() if lv["staff_id"] == "s3"]
    assert (leave["status"], leave["requested_by"]) == ("pending", "u-window_lead")
    assert leave["start"] == datetime(2026, 11, 24, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai

    def refused(client: TestClient, url: str, data: dict[str, str], field: str) -> str:
        r = client.post(url, data=data)
        assert r.status_code == 422, r.text[:300]
        found = re.search(rf'id="err-{field}">(.+?)</span>', r.text)
        assert found, r.text[-2000:]
        said = re.sub(r"<[^>]+>", "", found.group(1))  # a rule id in it is a link (ATT-6)
        assert "{" not in said and '"detail"' not in r.text  # words, not JSON
        return said

    assert refused(lead, "/attendance/leaves", {**form, "staff_id": "ghost"}, "leave-staff_id") == (
        "没有编号为 ghost 的工作人员"
    )
    assert "未知的假别" in refused(
        lead, "/attendance/leaves", {**form, "kind": "holiday"}, "leave-kind"
    )
    far = {**form, "start": "1999-01-01T08:00", "end": "2099-12-31T18:00"}
    assert "不能早于" in refused(lead, "/attendance/leaves", far, "leave-start")
    long = {**form, "start": "2026-11-24T08:00", "end": "2027-08-31T18:00"}
    assert "最长 180 天" in refused(lead, "/attendance/leaves", long, "leave-end")
    sick = {**form, "kind": "sick"}
    assert "病假证明" in refused(lead, "/attendance/leaves", sick, "leave-certificate")
    fix = {
        "staff_id": "s4",
        "at": "2026-11-24T08:20",
        "reason": "机器故障",
        "checkpoint": "AM_IN",
        "csrf_token": lead.csrf,  # type: ignore[attr-defined]
    }
    ahead = {**fix, "at": "2026-12-12T08:20"}  # 17 days ahead
    assert refused(lead, "/attendance/corrections", ahead, "fix-at") == "补卡时间不能晚于现在"
    assert refused(lead, "/attendance/corrections", {**fix, "checkpoint": ""}, "fix-checkpoint")
    old = {**fix, "at": "2026-11-20T08:20"}  # rule ATT-6: due by 22 November
    assert "2026-11-22" in refused(lead, "/attendance/corrections", old, "fix-at")
    r = lead.post("/attendance/corrections", data=fix)
    assert r.status_code == 303
    (filed,) = wf.list_corrections()
    assert (filed["status"], filed["entered_by"]) == ("pending", "u-window_lead")
    day = office.get(f"/attendance?day={DAY}").text
    assert re.search(rf'id="fix-{filed["id"]}".*?class="approve"', day, re.S)
    fixes = re.search(
        r'id="corrections-table".*?</table>', lead.get(f"/attendance?day={DAY}").text, re.S
    )
    assert 'class="approve"' not in fixes.group(0)  # type: ignore[union-attr]  # the filer
    r = office.post(
        f"/attendance/corrections/{filed['id']}/review",
        data={"approve": "1", "csrf_token": office.csrf},  # type: ignore[attr-defined]
    )
    assert r.status_code == 303
    day = office.get(f"/attendance?day={DAY}").text
    s4 = re.search(r'<tr id="day-s4">.*?</tr>', day, re.S).group(0)  # type: ignore[union-attr]
    assert "上午到岗 08:20 ✓ · 已补卡" in s4  # counted as a punch, shown as corrected
    r = office.post(
        f"/attendance/corrections/{filed['id']}/revoke",
        data={"why": "录错人", "csrf_token": office.csrf},  # type: ignore[attr-defined]
    )
    assert r.status_code == 303 and wf.get_correction(filed["id"])["status"] == "revoked"
    actions = {e.action: e.actor for e in audit_entries(sqlite_engine)}
    assert actions["leave.request"] == "u-window_lead"
    assert actions["correction.file"] == "u-window_lead"
    assert actions["correction.approve"] == "u-supervisor"
    assert actions["correction.revoke"] == "u-supervisor"
    export = office.get("/api/attendance/report/2026-11?format=csv")
    assert export.status_code == 200 and export.content.startswith(b"\xef\xbb\xbf")
