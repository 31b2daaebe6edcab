"""The office's day in the dashboard (point 18.3): add a staff member, enroll their face from
photos (the checks' reasons in Chinese), let them leave the hall (templates erased, PRIV-1);
close and reopen a month (ATT-8) with a reason; the month's exports linked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.staff.tables import FaceTemplate, Staff
from hub.users.accounts import Role, audit_entries
from tests.edge.face.photos import GALLERY, PROBE
from tests.hub.dashboard.conftest import form_login
from tests.support.auth import PASSWORD, full_app, make_user
from tests.support.pages import leaks

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def _as(app: Any, engine: Engine, role: Role) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    assert form_login(client, make_user(engine, f"s-{role.value}", role), PASSWORD).status_code
    client.csrf = client.get("/api/auth/me").json()["csrf_token"]  # type: ignore[attr-defined]
    return client


def test_staff_are_added_enrolled_and_leave_with_their_faces_erased(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HK_FACE_KEY", Fernet.generate_key().decode())
    app = full_app(sqlite_engine, clock=lambda: NOW)
    office, lead = (
        _as(app, sqlite_engine, Role.SUPERVISOR),
        _as(app, sqlite_engine, Role.WINDOW_LEAD),
    )
    csrf = office.csrf  # type: ignore[attr-defined]
    form = {
        "staff_id": "T001",
        "name": "欧巴马",
        "unit": "人社局",
        "window": "w01",
        "start_date": "2026-12-03",
    }
    assert lead.post("/staff", data={**form, "csrf_token": lead.csrf}).status_code == 403  # type: ignore[attr-defined]
    assert office.post("/staff", data={**form, "csrf_token": csrf}).status_code == 303
    again = office.post("/staff", data={**form, "csrf_token": csrf})
    assert again.status_code == 409 and "工号已存在" in again.text
    page = office.get("/staff").text
    assert 'id="staff-T001"' in page and 'data-templates="0"' in page
    assert not leaks(page, ("T001",))

    two = (PROBE / "kit_with_rose.jpg").read_bytes()
    refused = office.post(
        "/staff/T001/enroll",
        data={"csrf_token": csrf},
        files=[
            ("photos", ("two.jpg", two, "image/jpeg")),
            ("photos", ("text.jpg", b"not a photo", "image/jpeg")),
        ],
    )
    assert refused.status_code == 422
    assert "照片里有多张人脸" in refused.text and "不是图片文件" in refused.text
    photo = (GALLERY / "obama" / "obama2.jpg").read_bytes()
    ok = office.post(
        "/staff/T001/enroll",
        data={"csrf_token": csrf},
        files=[("photos", ("obama2.jpg", photo, "image/jpeg"))],
    )
    assert ok.status_code == 303, ok.text
    with Session(sqlite_engine) as s:
        assert len(s.exec(select(FaceTemplate).where(FaceTemplate.staff_id == "T001")).all()) == 1

    left = office.post(
        "/staff/T001/leave",
        data={"leave_date": "2026-12-03", "why": "调回原单位", "csrf_token": csrf},
    )
    assert left.status_code == 303
    with Session(sqlite_engine) as s:
        member = s.get(Staff, "T001")
        assert member is not None and (member.active, str(member.leave_date)) == (
            False,
            "2026-12-03",
        )
        assert s.exec(select(FaceTemplate).where(FaceTemplate.staff_id == "T001")).all() == []
    (entry,) = [e for e in audit_entries(sqlite_engine) if e.action == "staff.leave"]
    assert entry.why == "调回原单位" and entry.after["templates"] == 1  # rule PRIV-1
    assert 'data-templates="0"' in office.get("/staff").text


def test_a_month_is_closed_and_reopened_with_a_reason(sqlite_engine: Engine) -> None:
    app = full_app(sqlite_engine, clock=lambda: NOW)
    office, chief = (
        _as(app, sqlite_engine, Role.SUPERVISOR),
        _as(app, sqlite_engine, Role.DUTY_CHIEF),
    )
    csrf = office.csrf  # type: ignore[attr-defined]
    page = office.get("/months").text
    assert 'id="month-2026-11" data-closed="0"' in page and not leaks(page)
    assert "/api/attendance/report/2026-11?format=xlsx" in page
    assert "/api/queue/export?format=xlsx&start=2026-11-01&end=2026-11-30" in page
    assert chief.post("/months/2026-11/close", data={"csrf_token": chief.csrf}).status_code == 403  # type: ignore[attr-defined]
    early = office.post("/months/2026-12/close", data={"csrf_token": csrf})
    assert early.status_code == 409 and "尚未结束" in early.text
    assert office.post("/months/2026-11/close", data={"csrf_token": csrf}).status_code == 303
    assert 'id="month-2026-11" data-closed="1"' in office.get("/months").text
    no_reason = office.post("/months/2026-11/reopen", data={"csrf_token": csrf, "why": " "})
    assert no_reason.status_code == 422
    ok = office.post("/months/2026-11/reopen", data={"csrf_token": csrf, "why": "补录病假"})
    assert ok.status_code == 303
    actions = [(e.action, e.why) for e in audit_entries(sqlite_engine) if e.entity == "month"]
    assert ("month.reopen", "补录病假") in actions and ("month.close", "") in actions
    for link in (
        "/api/attendance/report/2026-11?format=xlsx",
        "/api/compliance/demo/reports/monthly?month=2026-11&format=csv",
        "/api/ratings/export?format=xlsx&start=2026-11-01&end=2026-11-30",
        "/api/queue/export?format=xlsx&start=2026-11-01&end=2026-11-30",
        "/api/duty/demo/assessment?month=2026-11&format=xlsx",
    ):
        r = office.get(link)
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"], link
