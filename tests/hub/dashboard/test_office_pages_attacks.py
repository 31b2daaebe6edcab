"""The office pages against a confused user and an attacker (point 18.4, 18.5): a record that
does not exist, a form full of nonsense, a second operator doing the same step at the same
moment; each answered by a page in Chinese that says what to do, never raw JSON or a code."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.complaints.tables import ComplaintLogRow
from hub.demo.seed import seed_staff
from hub.users.accounts import Role
from tests.support.pages import leaks

NAVIGATE = {"accept": "text/html,application/xhtml+xml", "sec-fetch-mode": "navigate"}
USERS = ("li", "u-supervisor", "u-duty_chief", "u-admin")
"""Account names the pages show (data, not words)."""
COMPLAINT = "窗口工作人员没有一次性告知所需材料，让我跑了两趟。"


def error_page(r: Any, status: int) -> str:
    """The answer is an error page in Chinese with what to do, no JSON, no bare codes."""
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    assert 'lang="zh-CN"' in r.text and not leaks(r.text, USERS), leaks(r.text, USERS)
    return str(r.text)


def test_records_that_do_not_exist_are_pages_saying_what_to_do(
    browser_as: Callable[[Role], TestClient],
) -> None:
    office = browser_as(Role.ADMIN)
    for path in (
        "/complaints/999999",
        "/ratings/followups/999999",
        "/rules/POST-99",
        "/staff/S-nobody",
    ):
        page = error_page(office.get(path, headers=NAVIGATE), 404)
        assert 'id="error-todo"' in page, path
    csrf = {"csrf_token": office.csrf}  # type: ignore[attr-defined]
    for path, form in (
        ("/complaints/999999/close", {}),
        ("/alerts/999999/resolve", {"comment": "已处理"}),
        ("/queue/desk/cases/999999", {"note": "办结"}),
    ):
        r = office.post(path, data={**csrf, **form}, headers=NAVIGATE)
        assert r.status_code == 404, (path, r.status_code, r.text[:200])
        error_page(r, 404)


def test_nonsense_in_the_calendar_and_complaint_forms_is_refused_in_words(
    app: Any, sqlite_engine: Engine, browser_as: Callable[[Role], TestClient]
) -> None:
    seed_staff(sqlite_engine, app.state.halls[0])
    office = browser_as(Role.SUPERVISOR)
    csrf = {"csrf_token": office.csrf}  # type: ignore[attr-defined]
    # rule ATT-10: a notice that is not one, a year out of range, a file that is not a calendar
    for form, status in (
        ({"notice": "hello world, no holidays here"}, 422),
        ({"notice": "一、元旦：放假。", "year": "99999"}, 422),
        ({"notice": "<script>alert(1)</script>" * 3}, 422),
    ):
        page = error_page(office.post("/calendar/preview", data={**csrf, **form}), status)
        assert "<script>alert(1)" not in page
    for text in ("[2027]\nholidays = 'x'", "not toml at all [[[", "[明年]\nholidays = []"):
        error_page(office.post("/calendar/save", data={**csrf, "text": text}), 422)
    # rule DUTY-6: a complaint linked to a window or staff member that do not exist
    r = office.post("/complaints", data={**csrf, "channel": "phone", "text": COMPLAINT})
    assert r.status_code == 303, r.text[:300]
    url = r.headers["location"]
    assert office.post(f"{url}/assign", data={**csrf, "assignee": "li"}).status_code == 303
    for form, words in (
        ({"window": "w99"}, "请从列表中选择窗口"),
        ({"staff_id": "S-nobody"}, "没有编号为 S-nobody 的工作人员"),
    ):
        page = error_page(office.post(f"{url}/investigate", data={**csrf, **form}), 422)
        assert words in page
    shown = office.get(url).text
    assert "w99" not in shown and "S-nobody" not in shown  # nothing of it kept


def test_two_operators_closing_one_complaint_at_once_close_it_once(
    app: Any, sqlite_engine: Engine, browser_as: Callable[[Role], TestClient]
) -> None:
    office, chief = browser_as(Role.SUPERVISOR), browser_as(Role.DUTY_CHIEF)
    csrf = {"csrf_token": office.csrf}  # type: ignore[attr-defined]
    url = office.post("/complaints", data={**csrf, "channel": "phone", "text": COMPLAINT})
    url = url.headers["location"]
    for step, form in (
        ("assign", {"assignee": "li"}),
        ("investigate", {"note": "调取监控"}),
        ("answer", {"finding": "partly", "told_how": "phone", "note": "已电话告知整改情况"}),
    ):
        assert office.post(f"{url}/{step}", data={**csrf, **form}).status_code == 303
    answers: list[Any] = []
    start = threading.Barrier(2)

    def close(client: TestClient) -> None:
        start.wait()
        answers.append(client.post(f"{url}/close", data={"csrf_token": client.csrf}))  # type: ignore[attr-defined]

    both = [threading.Thread(target=close, args=(c,)) for c in (office, chief)]
    for th in both:
        th.start()
    for th in both:
        th.join(30)
    assert sorted(r.status_code for r in answers) == [303, 409], [r.text[:200] for r in answers]
    (refused,) = [r for r in answers if r.status_code == 409]
    page = error_page(refused, 409)
    assert "当前状态（已办结）不能进行这一步（办结）" in page, page  # in words, not codes
    cid = int(url.rsplit("/", 1)[1])
    with Session(sqlite_engine) as s:
        log = s.exec(select(ComplaintLogRow).where(ComplaintLogRow.complaint_id == cid)).all()
    assert [e.action for e in log].count("close") == 1
    shown = office.get(url).text
    assert not leaks(shown, USERS), leaks(shown, USERS)
    assert "电话告知" in shown or "电话" in shown  # the answer's codes in words


def test_a_page_left_open_does_not_decide_the_next_stage_of_a_leave(
    app: Any, sqlite_engine: Engine, browser_as: Callable[[Role], TestClient]
) -> None:
    # rule ATT-5: the department stage's form, clicked by a second operator after a colleague
    # decided that stage, must not approve the office stage the second never saw
    seed_staff(sqlite_engine, app.state.halls[0])
    head, office = browser_as(Role.ADMIN), browser_as(Role.SUPERVISOR)
    wf = app.state.dashboard.attendance.workflow
    start = datetime.now(ZoneInfo("Asia/Shanghai")).replace(hour=8, minute=30) + timedelta(days=1)
    leave = wf.request_leave(
        actor="clerk",
        staff_id="S011",
        kind="personal",
        start=start,
        end=start + timedelta(hours=4),
        reason="家中有事",
    )
    assert 'name="stage" value="department"' in office.get("/attendance").text  # the form
    stale = {"csrf_token": office.csrf, "stage": "department", "approve": "1"}  # type: ignore[attr-defined]
    done = head.post(
        f"/attendance/leaves/{leave}/decide",
        data={"csrf_token": head.csrf, "stage": "department", "approve": "1"},  # type: ignore[attr-defined]
    )
    assert done.status_code == 303, done.text[:300]
    page = error_page(office.post(f"/attendance/leaves/{leave}/decide", data=stale), 409)
    assert "已审批完毕或已撤销" in page and "刷新页面" in page
    assert wf.get_leave(leave)["status"] == "dept_approved"  # not approved by the office
    for nonsense in ("999999", "-1", "abc"):  # a leave that does not exist, an id that is none
        r = office.post(f"/attendance/leaves/{nonsense}/decide", data=stale, headers=NAVIGATE)
        assert r.status_code in (404, 422), (nonsense, r.status_code)
        error_page(r, r.status_code)
