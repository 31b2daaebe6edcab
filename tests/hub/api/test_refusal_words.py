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
from tests.support.auth import full_app

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
