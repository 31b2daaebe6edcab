"""The attendance HTTP API: leave and approvals, corrections and review, months, days, reports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from types import SimpleNamespace

from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from hub.attendance import router
from hub.attendance.api import make_router
from tests.hub.attendance.dbhelpers import add_staff

H = {"X-Actor": "clerk"}
NOW = datetime(2025, 6, 5, 2, 0, tzinfo=UTC)  # 10:00 on Thursday 5 June in the hall


def client(engine: Engine, now: datetime = NOW) -> TestClient:
    app = FastAPI()
    app.state.engine = engine
    app.state.clock = lambda: now
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
    r = c.post("/api/attendance/leaves", json=body, headers=H)  # no certificate: beside it
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "certificate"]
    assert "病假证明" in r.json()["detail"][0]["msg"]
    r = c.post("/api/attendance/leaves", json={**body, "certificate": "C-7"}, headers=H)
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
            "checkpoint": "AM_IN",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending"
    fix = r.json()["id"]
    r = c.post(f"/api/attendance/corrections/{fix}/review", headers=H, json={"approve": True})
    assert r.status_code == 403 and "提交人以外" in r.json()["detail"]  # the filer: no
    r = c.post(
        f"/api/attendance/corrections/{fix}/review",
        headers={"X-Actor": "s2"},
        json={"approve": True},
    )
    assert r.status_code == 403 and "本人" in r.json()["detail"]  # the person it corrects: no
    r = c.post(
        f"/api/attendance/corrections/{fix}/review",
        headers={"X-Actor": "office"},
        json={"approve": True},
    )
    assert r.status_code == 200 and r.json()["approver"] == "office"
    days = c.get("/api/attendance/days", params={"month": "2025-06", "staff_id": "s1"}).json()
    assert [d["status"] for d in days if d["day"] == "2025-06-03"] == ["leave"] * 4
    days = c.get("/api/attendance/days", params={"month": "2025-06", "staff_id": "s2"}).json()
    assert days[0]["corrected"] is True and days[0]["status"] == "ok"
    # to date: 5 June at 10:00, s2 has not come: 未到, never absent; later days not judged
    assert [d["status"] for d in days if d["day"] == "2025-06-05"] == ["not_due"] * 4
    assert max(d["day"] for d in days) == "2025-06-05"
    rep = c.get("/api/attendance/report/2025-06").json()
    assert rep["policy"] == "wenshang-2021" and rep["to_date"] == "2025-06-05"
    s1 = rep["rows"][0]
    assert s1["leave_sick"] == 2 and s1["staff_id"] == "s1"  # half-days
    assert s1["workdays"] == 3 and s1["not_due"] == 4 and s1["penalties"] == []
    r = c.get("/api/attendance/report/2025-06", params={"format": "csv", "by": "unit"})
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "编号" and rows[1][0] == "tax"
    r = c.get("/api/attendance/report/2025-06", params={"format": "csv", "lang": "en"})
    assert r.content.decode("utf-8-sig").startswith("Id,Name,Unit")
    r = c.get("/api/attendance/report/2025-06", params={"format": "xlsx"})
    book = load_workbook(io.BytesIO(r.content))
    assert book["人员汇总"]["A3"].value == "s2" and "每日明细" in book.sheetnames
    people = c.get("/api/attendance/day-list/2025-06-03").json()
    assert people[1]["checkpoints"][0]["time"] == "08:20"
    why = c.get("/api/attendance/explain/s2/2025-06-03").json()
    assert why["checkpoints"][0]["correction"]["ref"] == f"correction {fix}"
    assert why["checkpoints"][0]["correction"]["approver"] == "office"
    assert c.get("/api/attendance/explain/s2/2025-06-07").status_code == 404  # Saturday
    r = c.post("/api/attendance/months/2025-06/close", headers=H, json={"why": "sent"})
    assert r.status_code == 409 and "尚未结束" in r.json()["detail"]  # June is not over
    c = client(engine, datetime(2025, 7, 2, 2, 0, tzinfo=UTC))
    r = c.post("/api/attendance/months/2025-06/close", headers=H, json={"why": "sent"})
    assert r.json()["closed"] is True
    assert c.get("/api/attendance/months/2025-06").json() == {"month": "2025-06", "closed": True}
    r = c.post(f"/api/attendance/leaves/{lid}/revoke", headers=H, json={"why": "deceit"})
    assert r.status_code == 409 and "已关账" in r.json()["detail"]
    r = c.post("/api/attendance/months/2025-06/reopen", headers=H, json={"why": ""})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "why"]
    r = c.post("/api/attendance/months/2025-06/reopen", headers=H, json={"why": "late facts"})
    assert r.status_code == 200
    r = c.post(f"/api/attendance/leaves/{lid}/revoke", headers=H, json={"why": "deceit"})
    assert r.json()["status"] == "revoked"
    r = c.post(f"/api/attendance/corrections/{fix}/revoke", headers=H, json={"why": "wrong"})
    assert r.json()["status"] == "revoked"
    days = c.get("/api/attendance/days", params={"month": "2025-06", "staff_id": "s1"}).json()
    assert [d["status"] for d in days if d["day"] == "2025-06-03"] == ["absent"] * 4
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
        AttendanceWorkflow(engine, AttendanceProjector(load_policy("clinic-4x")), lambda: NOW)
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
        json={
            "staff_id": "s1",
            "at": "2025-06-04T08:00:00+08:00",
            "reason": "r",
            "checkpoint": "AM_IN",
        },
    )
    assert r.status_code == 201
    r = c.post(
        f"/api/attendance/corrections/{r.json()['id']}/review",
        headers={"X-Actor": "office"},
        json={"approve": True},
    )
    assert r.status_code == 200
    audit = c.get("/api/attendance/audit").json()
    assert audit[0]["at"].startswith("2025-06-05")  # the hub's clock stamps the audit
    rep = c.get("/api/attendance/report/2025-06").json()
    assert rep["policy"] == demo.attendance_policy and rep["rows"][0]["corrections"] == 1


def test_stages_need_their_roles_and_two_different_accounts(engine: Engine):
    add_staff(engine, ("s1", "tax", ""))
    app = FastAPI()
    app.state.engine = engine
    app.state.clock = lambda: NOW
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
            "start": "2025-06-09T08:00:00+08:00",
            "end": "2025-06-09T18:00:00+08:00",
        },
    ).json()["id"]
    who["user"] = SimpleNamespace(username="s1", role="window_lead")
    own = c.post(
        f"/api/attendance/leaves/{lid}/decision", json={"stage": "department", "approve": True}
    )
    assert own.status_code == 403 and own.json()["detail"] == "不能审批本人的请假（ATT-5）"
    who["user"] = SimpleNamespace(username="viewer", role="viewer")
    assert (
        c.post(
            f"/api/attendance/leaves/{lid}/decision",
            json={"stage": "department", "approve": True},
        ).status_code
        == 403
    )
    who["user"] = SimpleNamespace(username="lead", role="window_lead")
    ok = c.post(
        f"/api/attendance/leaves/{lid}/decision", json={"stage": "department", "approve": True}
    )
    assert ok.json()["dept_by"] == "lead"
    no = c.post(f"/api/attendance/leaves/{lid}/decision", json={"stage": "office", "approve": True})
    assert no.status_code == 403
    who["user"] = SimpleNamespace(username="lead", role="supervisor")  # same account, promoted
    again = c.post(
        f"/api/attendance/leaves/{lid}/decision",
        params={"lang": "en"},
        json={"stage": "office", "approve": True},
    )
    assert again.status_code == 403 and "two different accounts" in again.json()["detail"]
    who["user"] = SimpleNamespace(username="office", role="supervisor")
    yes = c.post(
        f"/api/attendance/leaves/{lid}/decision", json={"stage": "office", "approve": True}
    )
    assert yes.json()["office_by"] == "office" and yes.json()["status"] == "approved"
    r = c.put("/api/attendance/wages/s1", json={"daily_wage_yuan": 215.5})
    assert r.status_code == 200
    r = c.put("/api/attendance/wages/nobody", json={"daily_wage_yuan": 215.5})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "staff_id"]


def test_forms_refuse_nonsense_beside_the_field(engine: Engine):
    # issue 18: leave for an unknown id, from 1999 to 2099, a 补卡 17 days ahead, no checkpoint
    add_staff(engine, ("s1", "tax", ""))
    c = client(engine)

    def field_of(r) -> tuple[int, str, str]:
        d = r.json()["detail"][0]
        return r.status_code, d["loc"][-1], d["msg"]

    leave = {"kind": "personal", "start": "2025-06-09T08:00:00+08:00"}
    r = c.post(
        "/api/attendance/leaves",
        headers=H,
        json={**leave, "staff_id": "ghost", "end": "2025-06-09T18:00:00+08:00"},
    )
    assert field_of(r) == (422, "staff_id", "没有编号为 ghost 的工作人员")
    r = c.post(
        "/api/attendance/leaves",
        headers=H,
        json={
            **leave,
            "staff_id": "s1",
            "start": "1999-01-01T08:00:00+08:00",
            "end": "2099-12-31T18:00:00+08:00",
        },
    )
    assert field_of(r)[:2] == (422, "start") and "2025-05-05" in field_of(r)[2]
    fix = {"staff_id": "s1", "reason": "forgot"}
    r = c.post(
        "/api/attendance/corrections",
        headers=H,
        json={**fix, "at": "2025-06-22T08:20:00+08:00", "checkpoint": "AM_IN"},
    )
    assert field_of(r) == (422, "at", "补卡时间不能晚于现在")
    r = c.post(
        "/api/attendance/corrections", headers=H, json={**fix, "at": "2025-06-04T08:20:00+08:00"}
    )
    assert field_of(r) == (422, "checkpoint", "请选择要补的打卡点")
    r = c.post(
        "/api/attendance/corrections",
        headers=H,
        json={**fix, "at": "2025-05-20T08:20:00+08:00", "checkpoint": "AM_IN"},
    )
    assert field_of(r)[:2] == (422, "at") and "2025-05-22" in field_of(r)[2]


def test_dates_outside_the_calendar_are_refused_with_a_reason(sqlite_engine: Engine):
    # rule ATT-10: a year the national calendar does not know is a clear error, never a guess
    add_staff(sqlite_engine, ("s1", "tax", ""), start=date(2000, 1, 1))
    c = client(sqlite_engine)
    assert c.get("/api/attendance/months/0000-01").status_code == 422
    r = c.get("/api/attendance/day-list/2003-03-03")
    assert r.status_code == 422 and "2003" in r.json()["detail"]
    assert c.get("/api/attendance/day-list/2099-03-02").json() == []  # not come yet: not judged
