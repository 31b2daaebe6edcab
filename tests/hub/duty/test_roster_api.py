"""The roster and the post ledger through the API on SQLite (PostgreSQL: test_month), rules
DUTY-1, POST-7, ATT-7: import, versions, audit, late filing, refusals in Chinese, overtime, the
day's ledger."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.attendance.policy import load_policy
from hub.attendance.projector import AttendanceProjector
from hub.attendance.workflow import AttendanceWorkflow
from hub.duty.rosterio import read_roster
from hub.fleet.tables import Alert
from hub.users.accounts import Role
from hub.users.tables import AuditEntry
from tests.hub.duty.support import HALL, TZ, Clock, add_punches, local, seed_people
from tests.support.auth import full_app, logged_in

DAY = date(2026, 12, 8)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 12, 3, 10, 0, tzinfo=TZ))


@pytest.fixture
def app(sqlite_engine: Engine, clock: Clock) -> Any:
    seed_people(sqlite_engine)
    return full_app(sqlite_engine, clock=clock)


def csv_file(text: str) -> dict[str, Any]:
    return {"file": ("roster.csv", text.encode("utf-8"), "text/csv")}


def demo_csv() -> str:
    lines = ["工号,日期,岗位,岗别"]
    for w in HALL.windows:
        for i, seat in enumerate(w.seats):
            lines.append(f"S{w.number:02d}{i + 1},2026-12,{seat},A岗")
    lines.append("S901,2026-12,w02-a,B岗")
    lines.append("S011,2026-12,w01,首席代表")
    return "\n".join(lines) + "\n"


def test_office_imports_a_roster_that_is_versioned_audited_and_flagged_late(
    app: Any, sqlite_engine: Engine
) -> None:
    """Rule DUTY-1: filed on 3 December for December is late; every filing is audited."""
    office = logged_in(TestClient(app), sqlite_engine, Role.SUPERVISOR)
    r = office.post(
        "/api/duty/demo/roster/import", files=csv_file(demo_csv()), data={"why": "12月排班"}
    )
    assert r.status_code == 200, r.text
    version = r.json()["version"]
    assert (version["version"], version["late"], version["month"]) == (1, True, "2026-12")
    roster = office.get("/api/duty/demo/roster", params={"month": "2026-12"}).json()
    assert roster["late"] is True and len(roster["versions"]) == 1
    a = [e for e in roster["entries"] if e["staff_id"] == "S021" and e["role"] == "A"]
    assert len(a) == 23  # the workdays of December 2026
    r = office.put(
        "/api/duty/demo/roster/cell",
        json={"day": "2026-12-08", "seat": "w02-a", "role": "B", "staff_id": "S902", "why": "换人"},
    )
    assert r.status_code == 200 and r.json()["version"]["version"] == 2
    with sqlite_engine.connect() as conn:
        entries = conn.execute(
            sa.select(AuditEntry.__table__.c.entity_id, AuditEntry.__table__.c.after).where(  # type: ignore[attr-defined]
                AuditEntry.__table__.c.action == "roster.file"  # type: ignore[attr-defined]
            )
        ).all()
    assert [e[0] for e in entries] == ["demo/2026-12/v1", "demo/2026-12/v2"]
    changes = entries[1][1]["changes"]
    assert {(c["action"], c["staff_id"]) for c in changes} == {
        ("removed", "S901"),
        ("added", "S902"),
    }


def test_a_viewer_cannot_file_and_a_bad_file_is_refused_in_chinese(
    app: Any, sqlite_engine: Engine
) -> None:
    """A confused user gets every reason, in Chinese; a viewer changes nothing."""
    viewer = logged_in(TestClient(app), sqlite_engine, Role.VIEWER)
    assert (
        viewer.post("/api/duty/demo/roster/import", files=csv_file(demo_csv())).status_code == 403
    )
    office = logged_in(TestClient(app), sqlite_engine, Role.ADMIN)
    r = office.post(
        "/api/duty/demo/roster/import",
        files=csv_file("工号,日期,岗位,岗别\nS011,2026-12-07,w01-a,A岗\nS999,2026-12-07,w09,C岗\n"),
    )
    assert r.status_code == 422
    (problem,) = r.json()["detail"]
    assert problem["line"] == 3 and problem["key"] == "roster_err_role"
    assert "第 3 行" in problem["text"]
    assert office.get("/api/duty/demo/roster").json()["versions"] == []  # nothing half-filed


def test_template_downloads_read_back(app: Any, sqlite_engine: Engine) -> None:
    """The template a hall office downloads is a roster the import takes."""
    office = logged_in(TestClient(app), sqlite_engine, Role.ADMIN)
    for fmt in ("csv", "xlsx"):
        r = office.get("/api/duty/demo/roster/template", params={"month": "2026-12", "format": fmt})
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
        rows = read_roster(r.content, f"t.{fmt}")
        assert rows[0][1]["date"] == "2026-12-01" and len(rows) == 11


def test_holiday_duty_is_overtime_awaiting_approval(app: Any, sqlite_engine: Engine) -> None:
    """Rule ATT-10 / 002: a rostered Sunday is overtime (加班), approved once, audited."""
    office = logged_in(TestClient(app), sqlite_engine, Role.ADMIN)
    csv = demo_csv() + "S021,2026-12-06,w02-a,A岗\n"
    assert office.post("/api/duty/demo/roster/import", files=csv_file(csv)).status_code == 200
    (ot,) = office.get("/api/duty/demo/overtime", params={"month": "2026-12"}).json()
    assert (ot["staff_id"], ot["day"], ot["status"]) == ("S021", "2026-12-06", "pending")
    path = f"/api/duty/demo/overtime/{ot['id']}/decision"
    assert office.post(path, json={"approve": True, "why": "值班"}).json()["status"] == "approved"
    assert office.post(path, json={"approve": False}).status_code == 409


def test_the_days_ledger_shows_b_takeover_and_a_late_substitute(
    app: Any, sqlite_engine: Engine, clock: Clock
) -> None:
    """Rules POST-7, ATT-7: S021 sick -> B (S901); S041 on leave, substitute S905 from 09:10."""
    office = logged_in(TestClient(app), sqlite_engine, Role.ADMIN)
    assert (
        office.post("/api/duty/demo/roster/import", files=csv_file(demo_csv())).status_code == 200
    )
    projector = AttendanceProjector(load_policy("wenshang-2021"))
    wf = AttendanceWorkflow(sqlite_engine, projector, clock)
    start, end = local(DAY, "00:00"), local(DAY, "00:00") + timedelta(days=1)
    wf.add_substitute(
        actor="office", window="w04", staff_id="S041", substitute_id="S905", start=start, end=end
    )
    leaves: dict[str, int] = {}
    for staff, kind in (("S021", "sick"), ("S041", "annual")):
        if staff == "S021":
            wf.add_substitute(
                actor="office",
                window="w02",
                staff_id="S021",
                substitute_id="S901",
                start=start,
                end=end,
            )
        leave = wf.request_leave(
            actor="x", staff_id=staff, kind=kind, start=start, end=end, certificate="C-1"
        )  # rule ATT-5: sick leave names its certificate
        wf.decide_leave(actor="head", leave_id=leave, stage="department", approve=True)
        wf.decide_leave(actor="office", leave_id=leave, stage="office", approve=True)
        leaves[staff] = leave
    present = [s for s in ("S011", "S012", "S031", "S032", "S051", "S052", "S061", "S071", "S081")]
    add_punches(sqlite_engine, [(s, local(DAY, "08:15")) for s in [*present, "S901"]])
    add_punches(sqlite_engine, [("S905", local(DAY, "09:10"))])
    ledger = office.get("/api/duty/demo/ledger", params={"day": DAY.isoformat()}).json()
    w02 = [(h["staff_id"], h["basis"]) for h in ledger["holdings"] if h["seat"] == "w02-a"]
    assert w02 == [("S901", "substitute")]
    w04 = [(h["staff_id"], h["basis"]) for h in ledger["holdings"] if h["seat"] == "w04-a"]
    assert w04 == [("S905", "substitute"), (None, "vacant"), ("S905", "substitute")]
    flag = next(f for f in ledger["flags"] if f["kind"] == "substitute_missing")
    assert (flag["rule"], flag["staff_id"], flag["window"]) == ("ATT-7", "S041", "w04")
    assert flag["ref"] == leaves["S041"]  # ATT-7: the leaver's leave is flagged
    clock.at = local(DAY, "08:50")  # the substitute missing 20 minutes after opening: alerted
    app.state.duty_watch.sync_all(sqlite_engine)
    with Session(sqlite_engine) as s:
        alert = s.exec(select(Alert).where(Alert.kind == "substitute_missing")).one()
    assert (alert.rule, alert.staff_id, alert.state) == ("ATT-7", "S041", "open")
    assert f"请假单 {leaves['S041']}" in alert.message and "替岗人员" in alert.message
    clock.at = local(DAY, "09:30")
    now = {s["seat"]: s for s in office.get("/api/duty/demo/ledger/now").json()}
    assert (now["w04-a"]["staff_id"], now["w04-a"]["basis"]) == ("S905", "substitute")
    assert now["w01-a"]["staff_id"] == "S011"
