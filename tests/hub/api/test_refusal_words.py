"""Every area's API refuses in the catalogue's words (STYLE point 11): a program's JSON carries
`detail` in the language asked for (zh-CN by default, ?lang=en) and `code` the catalogue key;
no English exception text, no bare key, nothing the request sent echoed back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.dashboard.i18n import CATALOGUE
from hub.users.accounts import Role
from tests.support.auth import full_app, logged_in

MARKER = "zz<b>x"
"""What a request names that does not exist: markup, never to be echoed."""


def assert_refusal(r: Any, status: int, key: str, lang: str = "zh-CN", **values: object) -> None:
    """A JSON refusal of `status` worded by `key` in `lang` (values filled), code = the key."""
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    assert body["code"] == key, body
    assert body["detail"] == CATALOGUE[lang][key].format(**values), body
    assert "zz" not in body["detail"] and "<b>" not in r.text
    if lang == "zh-CN":
        assert not body["detail"].isascii(), body


def both(client: TestClient, method: str, url: str, status: int, key: str, **kw: Any) -> None:
    """The refusal in Chinese (the default) and, with ?lang=en, in English."""
    values = kw.pop("values", {})
    assert_refusal(client.request(method, url, **kw), status, key, **values)
    sep = "&" if "?" in url else "?"
    english = client.request(method, f"{url}{sep}lang=en", **kw)
    assert_refusal(english, status, key, "en", **values)


@pytest.fixture
def open_client(sqlite_engine: Engine) -> Iterator[TestClient]:
    """The whole hub without accounts (the actor is named by the request)."""
    with TestClient(full_app(sqlite_engine, auth=False)) as client:
        yield client


def test_the_queue_api_refuses_in_words(open_client: TestClient) -> None:
    action = {"json": {"action": "next"}}
    both(open_client, "POST", f"/api/queue/windows/{MARKER}/actions", 404,
         "queue.err.unknown_window", **action)  # fmt: skip
    both(open_client, "POST", "/api/queue/cases/7/complete", 422, "error.name_actor", json={})
    # rule QUEUE-1: what the queue refuses is said in words, never its English reason
    both(open_client, "POST", "/api/queue/windows/w01/actions", 409, "queue.err.no_current",
         json={"action": "recall"}, values={"window": 1})  # fmt: skip
    both(open_client, "POST", "/api/queue/tickets", 409, "queue.err.unknown_service",
         json={"service": MARKER})  # fmt: skip
    both(open_client, "POST", "/api/queue/windows/w01/actions", 409, "queue.err.no_ticket",
         json={"action": "call", "ticket": "Z999"}, values={"ticket": "Z999"})  # fmt: skip
    both(open_client, "POST", "/api/queue/cases/7/complete", 404, "queue.err.no_case",
         json={"actor": "clerk"}, values={"case": 7})  # fmt: skip


def test_the_ratings_api_refuses_in_words(open_client: TestClient) -> None:
    # rule RATE-3: a follow-up named by the URL that does not exist is said so, in words
    both(open_client, "GET", "/api/ratings/followups/99", 404, "followup.err_none",
         values={"id": 99})  # fmt: skip
    both(open_client, "POST", "/api/ratings/followups/99/assign", 404, "followup.err_none",
         json={"actor": "chief", "assignee": "clerk"}, values={"id": 99})  # fmt: skip
    both(open_client, "POST", "/api/ratings/followups/99/assign", 422, "error.name_actor",
         json={"assignee": "clerk"})  # fmt: skip
    both(open_client, "POST", "/api/ratings/followups/99/contact", 404, "followup.err_none",
         json={"actor": "chief"}, values={"id": 99})  # fmt: skip
    both(open_client, "GET", "/api/ratings/province?start=2026-11-10&end=2026-11-01", 422,
         "error.end_before_start")  # fmt: skip
    both(open_client, "PUT", "/api/ratings/settings", 422, "error.bad_settings",
         json={MARKER: 1})  # fmt: skip


def test_the_complaints_api_refuses_in_words(open_client: TestClient) -> None:
    # rule DUTY-6
    both(open_client, "GET", "/api/complaints/99", 404, "complaint.err_none", values={"id": 99})
    both(open_client, "POST", "/api/complaints/99/contact", 404, "complaint.err_none",
         json={"actor": "chief"}, values={"id": 99})  # fmt: skip
    both(open_client, "POST", "/api/complaints/99/assign", 422, "error.name_actor",
         json={"assignee": "clerk"})  # fmt: skip
    both(open_client, "POST", "/api/complaints/99/assign", 404, "complaint.err_none",
         json={"actor": "chief", "assignee": "clerk"}, values={"id": 99})  # fmt: skip
    both(open_client, "GET", "/api/complaints/assessment?month=2026-13", 422, "error.bad_month")
    both(open_client, "PUT", "/api/complaints/settings", 422, "error.bad_settings",
         json={MARKER: 1})  # fmt: skip


def test_a_keyed_http_refusal_is_worded_for_programs_too(open_client: TestClient) -> None:
    # HTTPException(404, "error.404") and its kin: the CLI prints detail, never the bare key
    both(open_client, "GET", "/api/queue/export?start=2026-12-03&end=2026-01-01", 422,
         "queue.export_range")  # fmt: skip


def test_the_compliance_api_refuses_in_words(open_client: TestClient) -> None:
    # rule POST-7: a seat's holder is set on a seat of the layout
    both(open_client, "GET", "/api/compliance/demo/reports/monthly?month=2026-13", 422,
         "error.bad_month")  # fmt: skip
    both(open_client, "PUT", f"/api/compliance/demo/assignments/{MARKER}", 404,
         "compliance.err.unknown_seat", json={"staff_id": "s1", "role": "A"})  # fmt: skip


def test_the_duty_api_refuses_in_words(open_client: TestClient) -> None:
    # rules DUTY-1, DUTY-3, ATT-10, ATT-12, POST-8
    both(open_client, "GET", "/api/duty/demo/sittings?month=zz<b>x", 422, "error.bad_month")
    both(open_client, "GET", "/api/duty/demo/roster?month=2026-13", 422, "error.bad_month")
    both(open_client, "GET", "/api/duty/demo/chief?start=2026-11-10&end=2026-11-01", 422,
         "error.bad_range", values={"days": 400})  # fmt: skip
    both(open_client, "GET", "/api/duty/demo/arrivals?start=2026-01-01&end=2026-11-01", 422,
         "error.bad_range", values={"days": 62})  # fmt: skip
    both(open_client, "POST", "/api/duty/demo/sittings/99/sat", 404, "duty.err.no_sitting",
         json={}, values={"id": 99})  # fmt: skip
    both(open_client, "POST", "/api/duty/demo/overtime/99/decision", 404,
         "duty.err.no_overtime", json={"approve": True}, values={"id": 99})  # fmt: skip
    both(open_client, "POST", "/api/duty/demo/checks/99", 404, "duty.err.no_check", json={},
         values={"id": 99})  # fmt: skip
    big = {"file": ("roster.csv", b"x" * (2 * 2**20 + 1), "text/csv")}
    both(open_client, "POST", "/api/duty/demo/roster/import", 413, "roster.err_too_large",
         files=big, values={"mb": 2})  # fmt: skip


def test_the_fleet_and_staff_apis_refuse_in_words(open_client: TestClient) -> None:
    both(open_client, "GET", f"/api/devices/demo/{MARKER}", 404, "fleet.err.no_device")
    both(open_client, "GET", f"/api/staff/enrollments/{MARKER}", 404, "staff.err.no_enrollment")
    start = {"staff_id": "s9", "name": "新人", "device": MARKER}
    both(open_client, "POST", "/api/staff/enrollments", 422, "error.unknown_hall",
         json={**start, "hall": MARKER})  # fmt: skip
    both(open_client, "POST", "/api/staff/enrollments", 422, "staff.no_face_key", json=start)
    both(open_client, "DELETE", "/api/staff/s9", 404, "staff.unknown", values={"staff_id": "s9"})


def test_the_attendance_api_refuses_in_words(sqlite_engine: Engine) -> None:
    # rule ATT-9: only the supervision office sets the wage that prices a day of absence (403)
    with TestClient(full_app(sqlite_engine)) as client:
        logged_in(client, sqlite_engine, Role.DUTY_CHIEF)
        # the hub's guard refuses the role before the route does: its words, no path echoed
        both(client, "PUT", f"/api/attendance/wages/{MARKER}", 403, "forbidden",
             json={"daily_wage_yuan": 200})  # fmt: skip
        both(client, "GET", f"/api/attendance/explain/{MARKER}/2099-01-05", 404,
             "att.err.not_judged")  # fmt: skip


def test_the_users_api_refuses_in_words(sqlite_engine: Engine) -> None:
    with TestClient(full_app(sqlite_engine)) as client:
        both(client, "POST", "/api/auth/login", 401, "login_failed",
             json={"username": "nobody", "password": "wrong-password"})  # fmt: skip
        logged_in(client, sqlite_engine, Role.ADMIN)
        admin = "test-admin"
        new = {"username": admin, "password": "a-long-password", "role": "viewer"}
        both(client, "POST", "/api/users", 409, "account.taken", json=new,
             values={"name": admin})  # fmt: skip
        both(client, "POST", f"/api/users/{admin}/disable", 409, "account.self", json={})
        both(client, "POST", "/api/users/nobody/disable", 404, "account.unknown", json={},
             values={"name": "nobody"})  # fmt: skip
        both(client, "PUT", "/api/users/nobody/staff", 404, "account.unknown",
             json={"staff_id": None}, values={"name": "nobody"})  # fmt: skip
        both(client, "PUT", f"/api/users/{admin}/staff", 422, "account.unknown_staff",
             json={"staff_id": "s404"}, values={"staff": "s404"})  # fmt: skip


def test_a_refusal_shows_no_control_characters_of_what_was_sent(sqlite_engine: Engine) -> None:
    # a name echoed in the words loses a terminal's escapes and bidi overrides, and is short
    with TestClient(full_app(sqlite_engine)) as client:
        logged_in(client, sqlite_engine, Role.ADMIN)
        sly = "ab\x1b[2J\u202ecd"
        r = client.put(f"/api/users/{admin_of(client)}/staff", json={"staff_id": sly})
        assert r.status_code == 422 and r.json()["code"] == "account.unknown_staff"
        detail = r.json()["detail"]
        assert "\x1b" not in detail and "\u202e" not in detail and "ab[2Jcd" in detail


def admin_of(client: TestClient) -> str:
    """The logged-in operator's name."""
    return str(client.get("/api/auth/me").json()["username"])


def test_the_remaining_refusals_are_worded_too(open_client: TestClient) -> None:
    # a number beyond the database's integers names nothing: 404 in words, nothing echoed
    both(open_client, "POST", "/api/alerts/9223372036854775808/resolve", 404, "error.404",
         json={})  # fmt: skip
    # rule ATT-5: an attendance change names its operator (no accounts: X-Actor)
    leave = {"staff_id": "s1", "kind": "personal", "start": "2026-11-02T08:00:00+08:00",
             "end": "2026-11-02T12:00:00+08:00", "reason": "家中有事"}  # fmt: skip
    both(open_client, "POST", "/api/attendance/leaves", 401, "error.name_actor", json=leave)
    both(open_client, "PUT", "/api/duty/demo/policy", 422, "error.bad_settings",
         json={"weekly": MARKER})  # fmt: skip


def test_a_roster_day_in_a_year_the_calendar_lacks_is_refused_in_words(
    open_client: TestClient,
) -> None:
    # rule ATT-10: the calendar's own words (enter the year's holidays), not its English reason
    cell = {"day": "2099-01-05", "seat": "w01-a", "role": "A", "staff_id": None}
    for lang in ("zh-CN", "en"):
        r = open_client.put(f"/api/duty/demo/roster/cell?lang={lang}", json=cell)
        assert r.status_code == 422, r.text
        (issue,) = r.json()["detail"]
        assert issue["key"] == "calendar.year_unknown"
        assert issue["text"] == CATALOGUE[lang]["calendar.year_unknown"].format(year=2099)


def test_a_malformed_request_names_its_field_in_words(open_client: TestClient) -> None:
    # FastAPI's validation list keeps its shape (loc, type); msg is the catalogue's words
    for lang in ("zh-CN", "en"):
        r = open_client.get(f"/api/complaints/assessment?month=zz&lang={lang}")
        assert r.status_code == 422
        (item,) = r.json()["detail"]
        assert item["loc"] == ["query", "month"] and item["type"] == "string_pattern_mismatch"
        assert item["msg"] == CATALOGUE[lang]["validation.string_pattern_mismatch"]
    missing = open_client.post("/api/queue/tickets", json={})
    assert missing.json()["detail"][0]["msg"] == CATALOGUE["zh-CN"]["validation.missing"]


def test_the_command_line_prints_a_refusal_as_words_not_json() -> None:
    from hub.cli.session import said

    listed = [{"loc": ["query", "month"], "msg": "格式不对", "type": "string_pattern_mismatch"}]
    assert said(listed) == "month: 格式不对"
    assert said("没有这个窗口") == "没有这个窗口"
    assert said({"message": "下面的照片没有通过检查", "problems": []}) == "下面的照片没有通过检查"
