"""Substitutes (替岗, rule ATT-7) and covers (顶岗, rule POST-6) on their dashboard page: filed on
forms that refuse nonsense beside the field, a cover approved by the duty desk within the duty
chief's hours or by the head, and decided once (the API the same, hub.compliance.covers)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.demo.seed import seed_staff
from hub.users.accounts import Role, audit_entries
from tests.hub.dashboard.conftest import form_login
from tests.support.auth import PASSWORD, full_app, make_user
from tests.support.pages import leaks

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # Thursday 10:00 in the hall
DAY = "2026-12-04"


def _as(app: Any, engine: Engine, role: Role) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    assert form_login(client, make_user(engine, f"c-{role.value}", role), PASSWORD).status_code
    client.csrf = client.get("/api/auth/me").json()["csrf_token"]  # type: ignore[attr-defined]
    return client


def _error(page: str, key: str) -> str:
    found = re.search(rf'id="err-{key}">([^<]*)<', page)
    assert found, (key, re.findall(r'id="err-[^"]+">[^<]*', page))
    return found.group(1)


def test_substitutes_and_covers_are_filed_and_decided_on_their_page(sqlite_engine: Engine) -> None:
    app = full_app(sqlite_engine, clock=lambda: NOW)
    seed_staff(sqlite_engine, app.state.halls[0])
    lead, chief, office = (
        _as(app, sqlite_engine, role)
        for role in (Role.WINDOW_LEAD, Role.DUTY_CHIEF, Role.SUPERVISOR)
    )
    viewer = _as(app, sqlite_engine, Role.VIEWER)
    page = lead.get("/covers").text
    assert 'href="/rules/ATT-7"' in page and 'href="/rules/POST-6"' in page and not leaks(page)
    assert 'href="/covers"' in lead.get("/attendance").text  # reached from the attendance page

    sub = {"window": "w05", "staff_id": "S051", "substitute_id": "S051", "csrf_token": lead.csrf}
    sub |= {"start": f"{DAY}T08:30", "end": f"{DAY}T18:00"}
    refused = lead.post("/covers/substitutes", data=sub)  # rule ATT-7: not for oneself
    assert refused.status_code == 422 and "本人" in _error(refused.text, "sub-substitute_id")
    refused = lead.post("/covers/substitutes", data={**sub, "substitute_id": "S061", "end": "x"})
    assert "日期和时间" in _error(refused.text, "sub-end")
    refused = lead.post("/covers/substitutes", data={**sub, "window": "w99"})
    assert _error(refused.text, "sub-window")
    assert (
        viewer.post("/covers/substitutes", data={**sub, "csrf_token": viewer.csrf}).status_code
        == 403
    )
    done = lead.post("/covers/substitutes", data={**sub, "substitute_id": "S061", "why": "年假"})
    assert done.status_code == 303
    page = lead.get("/covers").text
    assert 'id="substitute-1"' in page and not leaks(page)

    cover = {"seat": "w06-a", "staff_id": "S061", "cover_staff_id": "S071"}
    cover |= {"start": f"{DAY}T10:00", "end": f"{DAY}T09:00", "csrf_token": lead.csrf}
    refused = lead.post("/covers", data=cover)
    assert "晚于" in _error(refused.text, "cover-end")
    refused = lead.post("/covers", data={**cover, "end": f"{DAY}T11:00", "seat": "w99-z"})
    assert _error(refused.text, "cover-seat")
    long = lead.post("/covers", data={**cover, "end": f"{DAY}T14:00", "reason": "培训"})
    short = lead.post("/covers", data={**cover, "end": f"{DAY}T11:00", "reason": "会议"})
    assert long.status_code == short.status_code == 303
    assert lead.post("/covers/1/decide", data={"csrf_token": lead.csrf}).status_code == 403
    over = chief.post("/covers/1/decide", data={"csrf_token": chief.csrf, "approve": "1"})
    assert over.status_code == 422 and "2 小时" in _error(over.text, "decide-1")  # rule POST-6
    ok = chief.post("/covers/2/decide", data={"csrf_token": chief.csrf, "approve": "1"})
    assert ok.status_code == 303
    ok = office.post("/covers/1/decide", data={"csrf_token": office.csrf, "approve": "1"})
    assert ok.status_code == 303
    page = office.get("/covers").text
    assert re.search(r'id="cover-1" data-status="approved"', page) and "分管负责人批准" in page
    assert re.search(r'id="cover-2" data-status="approved"', page) and "值班长批准" in page
    assert not leaks(page, {"c-duty_chief", "c-supervisor", "c-window_lead"})
    again = office.post("/covers/2/decide", data={"csrf_token": office.csrf, "approve": "0"})
    assert again.status_code == 409 and "已处理" in _error(again.text, "decide-2")  # decided once
    assert office.post("/covers/99/decide", data={"csrf_token": office.csrf}).status_code == 404
    api = office.post("/api/compliance/demo/covers/2/refuse", headers={"X-CSRF-Token": office.csrf})
    assert api.status_code == 409 and api.json()["code"] == "cover.decided"
    actions = {e.action for e in audit_entries(sqlite_engine)}
    assert {"cover.request", "cover.approve"} <= actions
    english = office.get("/covers?lang=en").text
    assert "Substitutes" in english and "Signed by the head" in english
