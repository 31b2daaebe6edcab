"""/api/complaints and the kiosk's call-back form: a complaint taken by phone at the desk,
its steps, the month's counts for the assessment; a citizen at the kiosk leaves a number for
a call back (DEV-4, DUTY-6), sealed at once (PRIV-1)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.complaints import callbacks
from hub.queue import kiosk
from models.contact import new_keypair
from tests.support.auth import full_app, logged_in


@pytest.fixture
def client(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    private, _ = new_keypair()
    monkeypatch.setenv("HK_CONTACT_KEY", private)
    kiosk.CALLBACKS._hits.clear()
    return logged_in(TestClient(full_app(sqlite_engine)), sqlite_engine)  # type: ignore[no-any-return]


def test_a_phoned_complaint_through_the_api(client: TestClient) -> None:
    # rule DUTY-6 (taken by phone, investigated, answered), DUTY-5 (counted)
    bad = client.post("/api/complaints", json={"channel": "fax", "text": "x" * 20})
    assert bad.status_code == 422 and bad.json()["code"] == "complaint.err_channel"
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    future = client.post(
        "/api/complaints", json={"channel": "phone", "text": "窗口推诿", "happened_at": tomorrow}
    )
    assert future.status_code == 422 and future.json()["code"] == "pub.err_when_future"
    made = client.post(
        "/api/complaints",
        json={
            "channel": "phone",
            "text": "办理公积金提取时被推诿",
            "window": "w07",
            "staff_id": "S0071",
            "phone": "021-66668888",
        },
    )
    assert made.status_code == 201, made.text
    c = made.json()
    assert c["has_contact"] and c["taken_by"] == "test-admin" and "contact" not in c
    cid = c["id"]
    early = client.post(f"/api/complaints/{cid}/answer", json={"note": "x"})
    assert early.status_code == 409 and early.json()["code"] == "complaint.err_not_now"
    assert client.post(f"/api/complaints/{cid}/contact", json={}).json() == {
        "phone": "021-66668888"
    }
    client.post(f"/api/complaints/{cid}/assign", json={"assignee": "li"})
    client.post(f"/api/complaints/{cid}/investigate", json={})
    answered = client.post(
        f"/api/complaints/{cid}/answer",
        json={"note": "已核实并致歉", "finding": "partly", "told_how": "phone"},
    ).json()
    assert answered["state"] == "answered" and not answered["has_contact"]
    month = answered["received_at"][:7]
    got = client.get("/api/complaints/assessment", params={"month": month}).json()
    assert got["by_staff"]["S0071"]["against"] == 1 and got["by_window"]["w07"]["partly"] == 1
    assert client.get("/api/complaints/assessment", params={"month": "2026-13"}).status_code == 422
    assert client.post(f"/api/complaints/{cid}/remove", json={}).status_code == 404


def test_the_kiosk_takes_a_number_for_a_call_back(
    client: TestClient, sqlite_engine: Engine
) -> None:
    # rule DEV-4: a citizen whose matter cannot be handled now leaves a number
    page = client.get("/kiosk/demo/hall-kiosk")
    token = re.search(r'data-token="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    send = {"X-Kiosk-Token": token}
    empty = client.post("/kiosk/demo/hall-kiosk/callback", json={}, headers=send)
    assert empty.status_code == 422
    wrong = client.post("/kiosk/demo/hall-kiosk/callback", json={"phone": "123"}, headers=send)
    assert wrong.status_code == 422
    forged = client.post("/kiosk/demo/hall-kiosk/callback", json={"phone": "13800138000"})
    assert forged.status_code == 403
    ok = client.post(
        "/kiosk/demo/hall-kiosk/callback",
        json={"service": "property", "phone": "13800138000", "note": "不动产系统暂停"},
        headers=send,
    )
    assert ok.status_code == 201 and "回电" in ok.json()["message"]
    (cb,) = client.get("/api/complaints/callbacks").json()
    assert (cb["source"], cb["service"], cb["has_contact"]) == ("hall-kiosk", "property", True)
    with sqlite_engine.connect() as conn:
        assert "13800138000" not in str(conn.execute(sa.select(callbacks.CALLBACK)).all())
    done = client.post(f"/api/complaints/callbacks/{cb['id']}", json={"result": "reached"})
    assert done.json()["state"] == "done" and not done.json()["has_contact"]
    statuses = [
        client.post("/kiosk/demo/hall-kiosk/callback", json={"note": "n"}, headers=send).status_code
        for _ in range(10)
    ]
    assert statuses.count(429) == 3  # 10 an hour from one kiosk, 3 sent above


def test_who_may_change_complaints() -> None:
    # rule DUTY-6: anyone but a viewer takes a complaint down; chiefs answer it
    from hub.users.accounts import Role
    from hub.users.security import allowed_to_change

    assert allowed_to_change(Role.WINDOW_LEAD, "/api/complaints")
    assert allowed_to_change(Role.WINDOW_LEAD, "/api/complaints/callbacks/3")
    assert not allowed_to_change(Role.WINDOW_LEAD, "/api/complaints/3/answer")
    assert not allowed_to_change(Role.WINDOW_LEAD, "/api/complaints/3/contact")
    assert allowed_to_change(Role.DUTY_CHIEF, "/api/complaints/3/answer")
    assert not allowed_to_change(Role.DUTY_CHIEF, "/api/complaints/settings")
    assert not allowed_to_change(Role.VIEWER, "/api/complaints")
