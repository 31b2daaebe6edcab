"""The attendance HTTP API: leave and approvals, corrections, months, days, reports."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from hub.attendance import router
from hub.attendance.api import make_router
from tests.hub.attendance.dbhelpers import add_staff

H = {"X-Actor": "clerk"}
NOW = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)


def client(engine: Engine) -> TestClient:
    app = FastAPI()
    app.state.engine = engine
    app.include_router(router)
    return TestClient(app)


def test_leave_flow_reports_and_months(engine: Engine):
    add_staff(engine, ("s1", "tax", ""), ("s2", "tax", ""))
    c = client(engine)
    body = {
        "staff_id": "s1",
        "kind": "sick",
        "start": "2025-06-03T00:00:00+08:00",
        "end": "2025-06-03T23:59:00+08:00",
        "reason": "fever",
    }
    assert c.post("/api/attendance/leaves", json=body).status_code == 401  # who is acting?
    r = c.post("/api/attendance/leaves", json=body, headers=H)
    assert r.status_code == 201, r.text
    lid = r.json()["id"]
    r = c.post(
        f"/api/attendance/leaves/{lid}/decision",
        headers=H,
        json={"stage": "office", "approve": True},
    )
    assert r.status_code == 409 and "ATT-5" in r.json()["detail"]
    for stage in ("department", "office"):
        r = c.post(
            f"/api/attendance/leaves/{lid}/decision",
            headers={"X-Actor": stage},
            json={"stage": stage, "approve": True},
        )
        assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    assert c.get("/api/attendance/leaves/999").status_code == 404
    r = c.post(
        "/api/attendance/corrections",
        headers=H,
        json={
            "staff_id": "s2",
            "at": "2025-06-03T08:20:00+08:00",
            "reason": "terminal down",
            "approver": "chief",
        },
    )
    assert r.status_code == 201, r.text
    days = c.get("/api/attendance/days", params={"month": "2025-06", "staff_id": "s1"}).json()
    assert [d["status"] for d in days if d["day"] == "2025-06-03"] == ["leave"] * 4
    days = c.get("/api/attendance/days", params={"month": "2025-06", "staff_id": "s2"}).json()
    assert days[0]["corrected"] is True and days[0]["status"] == "ok"
    rep = c.get("/api/attendance/report/2025-06").json()
    assert rep["policy"] == "wenshang-2021" and rep["rows"][0]["leave_sick"] == 2  # half-days
    r = c.get("/api/attendance/report/2025-06", params={"format": "csv", "by": "unit"})
    assert r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[1].startswith("tax,")
    r = c.get("/api/attendance/report/2025-06", params={"format": "xlsx"})
    assert load_workbook(io.BytesIO(r.content))["staff"]["A3"].value == "s2"
    people = c.get("/api/attendance/day-list/2025-06-03").json()
    assert people[1]["checkpoints"][0]["time"] == "08:20"
    assert (
        c.post("/api/attendance/months/2025-06/close", headers=H, json={"why": "sent"}).json()[
            "closed"
        ]
        is True
    )
    assert c.get("/api/attendance/months/2025-06").json() == {"month": "2025-06", "closed": True}
    r = c.post(
        "/api/attendance/corrections",
        headers=H,
        json={"staff_id": "s2", "at": "2025-06-04T08:20:00+08:00", "reason": "x", "approver": "y"},
    )
    assert r.status_code == 409 and "closed" in r.json()["detail"]
    assert (
        c.post("/api/attendance/months/2025-06/reopen", headers=H, json={"why": ""}).status_code
        == 409
    )
    assert (
        c.post(
            "/api/attendance/months/2025-06/reopen", headers=H, json={"why": "late facts"}
        ).status_code
        == 200
    )
    assert c.get("/api/attendance/months/2025-13").status_code == 422
    audit = c.get("/api/attendance/audit", params={"entity": "month"}).json()
    assert [(a["actor"], a["action"], a["why"]) for a in audit] == [
        ("clerk", "close", "sent"),
        ("clerk", "reopen", "late facts"),
    ]


def test_bound_router_uses_its_context(engine: Engine):
    from hub.attendance.api import AttendanceContext
    from hub.attendance.policy import load_policy
    from hub.attendance.projector import AttendanceProjector
    from hub.attendance.workflow import AttendanceWorkflow

    ctx = AttendanceContext(
        AttendanceWorkflow(engine, AttendanceProjector(load_policy("clinic-4x")))
    )
    app = FastAPI()
    app.include_router(make_router(ctx))  # no app.state.engine needed
    rep = TestClient(app).get("/api/attendance/report/2025-06").json()
    assert rep["policy"] == "clinic-4x" and rep["rows"] == []


def test_mounted_on_the_hub_app_through_the_area(sqlite_engine: Engine):
    from pathlib import Path

    from hub.api.app import create_app
    from hub.areas import AreaContext, load_areas
    from hub.commands import RecordingSender
    from models.layout import load_hall

    demo = load_hall(Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo")
    ctx = AreaContext(
        engine=sqlite_engine, halls=[demo], commands=RecordingSender(), clock=lambda: NOW
    )
    (part,) = load_areas(ctx, ["hub.attendance.area"])
    app = create_app(engine=sqlite_engine, halls=[demo], routers=part.routers, auth=False)
    c = TestClient(app)
    add_staff(sqlite_engine, ("s1", "tax", "w01"))
    r = c.post(
        "/api/attendance/corrections",
        headers=H,
        json={"staff_id": "s1", "at": "2025-06-03T08:00:00+08:00", "reason": "r", "approver": "a"},
    )
    assert r.status_code == 201
    audit = c.get("/api/attendance/audit").json()
    assert audit[0]["at"].startswith("2025-06-01")  # the hub's clock stamps the audit
    rep = c.get("/api/attendance/report/2025-06").json()
    assert rep["policy"] == demo.attendance_policy and rep["rows"][0]["corrections"] == 1


def test_office_stage_needs_the_supervision_office_role(engine: Engine):
    from types import SimpleNamespace

    app = FastAPI()
    app.state.engine = engine
    app.include_router(router)
    who: dict[str, SimpleNamespace] = {}

    @app.middleware("http")
    async def logged_in(request, call_next):  # stands in for the hub's session guard
        request.state.user = who["user"]
        return await call_next(request)

    c = TestClient(app)
    who["user"] = SimpleNamespace(username="lead", role="window_lead")
    lid = c.post(
        "/api/attendance/leaves",
        json={
            "staff_id": "s1",
            "kind": "annual",
            "start": "2025-06-03T08:00:00+08:00",
            "end": "2025-06-03T18:00:00+08:00",
        },
    ).json()["id"]
    ok = c.post(
        f"/api/attendance/leaves/{lid}/decision", json={"stage": "department", "approve": True}
    )
    assert ok.json()["dept_by"] == "lead"
    no = c.post(f"/api/attendance/leaves/{lid}/decision", json={"stage": "office", "approve": True})
    assert no.status_code == 403
    who["user"] = SimpleNamespace(username="office", role="supervisor")
    yes = c.post(
        f"/api/attendance/leaves/{lid}/decision", json={"stage": "office", "approve": True}
    )
    assert yes.json()["office_by"] == "office" and yes.json()["status"] == "approved"


def test_dates_outside_the_calendar_are_refused_with_a_reason(sqlite_engine: Engine):
    # rule ATT-10: a year the national calendar does not know is a clear error, never a guess
    c = client(sqlite_engine)
    assert c.get("/api/attendance/months/0000-01").status_code == 422
    r = c.get("/api/attendance/day-list/2099-03-02")
    assert r.status_code == 422 and "2099" in r.json()["detail"]
