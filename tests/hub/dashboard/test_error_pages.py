"""Errors reached from the interface are pages saying what to do, never raw JSON (point 18.4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.testclient import TestClient

from hub.problems import InvalidProblem
from hub.users.accounts import Role
from tests.support.pages import leaks, parse

NAVIGATE = {"accept": "text/html,application/xhtml+xml", "sec-fetch-mode": "navigate"}


def _is_page(r: Any, status: int) -> str:
    assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    assert 'id="error-message"' in r.text and 'id="error-todo"' in r.text
    return str(r.text)


def test_404_403_and_a_stale_form_are_pages_in_the_readers_language(
    browser_as: Callable[[Role], TestClient],
) -> None:
    viewer = browser_as(Role.VIEWER)
    page = _is_page(viewer.get("/no-such-page"), 404)
    assert "找不到您要的页面或记录" in page and "导航栏" in page and not leaks(page)
    assert "was not found" in _is_page(viewer.get("/no-such-page?lang=en"), 404)
    page = _is_page(viewer.get("/audit?lang=zh"), 403)
    assert "操作日志仅供管理员和督查考核科查看" in page and "分配角色" in page and not leaks(page)
    page = _is_page(viewer.post("/devices/opening-check", data={}), 403)
    assert "页面已过期" in page and "刷新页面" in page  # no CSRF token: says so, in Chinese
    page = _is_page(viewer.get("/alerts/99999999999999999999999/resolve"), 405)
    assert not leaks(page)


def test_a_form_with_missing_and_overlong_fields_lists_them_by_their_names(
    browser_as: Callable[[Role], TestClient],
) -> None:
    lead = browser_as(Role.WINDOW_LEAD)
    r = lead.post(
        "/attendance/leaves",
        data={"csrf_token": lead.csrf, "kind": "sick", "reason": "x" * 501},
    )
    page = _is_page(r, 422)
    listed = [t for t, _ in parse(page).nodes]
    for name in ("人员", "开始时间", "结束时间", "必须填写", "太长了（最多 500 个字）"):
        assert any(name in t for t in listed), (name, listed)
    assert not leaks(page)


def test_api_errors_are_pages_for_a_browser_and_json_for_programs(
    app: Any, browser_as: Callable[[Role], TestClient]
) -> None:
    office = browser_as(Role.SUPERVISOR)
    url = "/api/attendance/report/2026-13?format=csv"
    program = office.get(url)
    assert program.status_code == 422 and program.headers["content-type"] == "application/json"
    page = _is_page(office.get(url, headers=NAVIGATE), 422)
    assert not leaks(page)
    stranger = TestClient(app)
    refused = stranger.get("/api/devices").json()  # the words of the catalogue, and the key
    assert refused == {"detail": "请先登录", "code": "error.401"}
    page = _is_page(stranger.get("/api/devices", headers=NAVIGATE), 401)
    assert 'id="error-login"' in page and "请先登录" in page


def test_a_problem_raised_by_domain_code_is_worded_by_its_key(
    app: Any, browser_as: Callable[[Role], TestClient]
) -> None:
    router = APIRouter()

    @router.get("/api/test-problem")
    @router.get("/test-problem")
    def refuse() -> None:
        raise InvalidProblem("att.form_bad_times", field="start")

    app.include_router(router)
    client = browser_as(Role.VIEWER)
    body = client.get("/api/test-problem").json()
    assert body["code"] == "att.form_bad_times" and body["field"] == "start"
    page = _is_page(client.get("/test-problem"), 422)
    assert "开始和结束须为日期和时间" in page and "开始时间" in page
