"""The follow-up pages of the dashboard (RATE-3): a duty chief opens the citizen's number to
call (logged), records a failed attempt, the contact, the finding, the rectification with its
deadline and the closure; the supervision office audits; refusals are worded in Chinese."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.users.accounts import Role, audit_entries
from models.contact import new_keypair, seal
from tests.hub.dashboard.conftest import form_login
from tests.hub.ratings.test_ratings_projector import FRIDAY, Rig
from tests.support.auth import PASSWORD, full_app, make_user


def client_as(app: Any, engine: Engine, role: Role) -> TestClient:
    name = make_user(engine, f"f-{role.value}", role)
    c = TestClient(app, follow_redirects=False)
    assert form_login(c, name, PASSWORD).status_code == 303
    c.csrf = c.get("/api/auth/me").json()["csrf_token"]  # type: ignore[attr-defined]
    return c


def step(c: TestClient, fid: int, action: str, **form: str) -> Any:
    return c.post(f"/ratings/followups/{fid}/{action}", data={"csrf_token": c.csrf, **form})  # type: ignore[attr-defined]


def test_a_follow_up_is_worked_through_on_its_page(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rule RATE-3, PRIV-1
    private, public = new_keypair()
    monkeypatch.setenv("HK_CONTACT_KEY", private)
    rig = Rig(sqlite_engine)
    ticket = rig.serve()
    rig.rate(ticket, 1, reason="attitude", contact=seal(public, "13912345678"))
    app = full_app(sqlite_engine, clock=lambda: FRIDAY)
    chief = client_as(app, sqlite_engine, Role.DUTY_CHIEF)
    listing = chief.get("/ratings").text
    fid = int(re.search(r'href="/ratings/followups/(\d+)"', listing).group(1))  # type: ignore[union-attr]
    page = chief.get(f"/ratings/followups/{fid}").text
    assert "2026-11-21 00:00" in page  # rule RATE-3: contact due the same working day
    assert "13912345678" not in page and "加密保存" in page
    shown = chief.post(f"/ratings/followups/{fid}/contact", data={"csrf_token": chief.csrf})  # type: ignore[attr-defined]
    assert "13912345678" in shown.text
    assert step(chief, fid, "attempt", result="no_answer", note="9:40").status_code == 303
    assert step(chief, fid, "contacted", note="群众说明了情况").status_code == 303
    assert step(chief, fid, "verified", finding="substantiated").status_code == 303
    early = step(chief, fid, "closed", note="已致歉", told_how="phone")
    assert early.status_code == 409 and "属实的差评须先整改再办结" in early.text
    late = step(chief, fid, "rectify", note="服务礼仪培训", due="2026-12-30")
    assert late.status_code == 409 and "最长 5 个工作日" in late.text
    assert step(chief, fid, "rectify", note="服务礼仪培训", due="2026-11-25").status_code == 303
    assert "2026-11-26 00:00" in chief.get(f"/ratings/followups/{fid}").text
    assert step(chief, fid, "rectified", note="已培训").status_code == 303
    assert step(chief, fid, "closed", note="已致歉并说明整改", told_how="phone").status_code == 303
    assert step(chief, fid, "audited").status_code == 403  # the supervision office's step
    office = client_as(app, sqlite_engine, Role.SUPERVISOR)
    assert step(office, fid, "audited").status_code == 303
    final = chief.get(f"/ratings/followups/{fid}").text
    assert "督查审核" in final and "回访电话" not in final
    assert "联系方式已在答复后删除" in final  # PRIV-1: erased at closure
    actions = [e.action for e in audit_entries(sqlite_engine) if e.action.startswith("followup.")]
    assert "followup.contact" in actions and "followup.audited" in actions
    viewer = client_as(app, sqlite_engine, Role.VIEWER)
    assert step(viewer, fid, "assign", assignee="x").status_code == 403
