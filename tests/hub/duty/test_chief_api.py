"""The duty chief through the API and the hub's background work (SQLite; the shared store code is
run on PostgreSQL by the month test): rotation and stand-ins (DUTY-2), a chief on leave without
a stand-in (DUTY-2), the log, duty checks (POST-8), the opening check's acknowledgement (DEV-1),
arriving early (ATT-12), and the RATE-2 push of each change of holder with the ledger's alerts."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.attendance.policy import load_policy
from hub.attendance.projector import AttendanceProjector
from hub.attendance.workflow import AttendanceWorkflow
from hub.fleet.engine import FleetPolicy
from hub.fleet.service import run_opening_check
from hub.fleet.tables import Alert
from hub.users.accounts import Role
from models.commands import ShowServing
from tests.hub.duty.support import (
    HALL,
    Clock,
    add_punches,
    file_demo_roster,
    local,
    seed_people,
)
from tests.support.auth import full_app, logged_in

MONDAY = date(2026, 12, 7)


@pytest.fixture
def clock() -> Clock:
    return Clock(local(MONDAY, "07:00"))


@pytest.fixture
def app(sqlite_engine: Engine, clock: Clock) -> Any:
    seed_people(sqlite_engine)
    file_demo_roster(sqlite_engine)
    app = full_app(sqlite_engine, clock=clock)
    app.state.duty_ticker.rng = random.Random(7)
    return app


def alerts(engine: Engine, kind: str) -> list[Alert]:
    with Session(engine) as s:
        return list(s.exec(select(Alert).where(Alert.kind == kind)).all())


def set_rotation(client: TestClient) -> None:
    r = client.put(
        "/api/duty/demo/rotation",
        json={"anchor": "2026-11-30", "order": ["S011", "S031", "S051"], "why": "中心排定"},
    )
    assert r.status_code == 200, r.text


def test_rotation_two_week_terms_and_a_stand_in_approved_by_the_head(
    app: Any, sqlite_engine: Engine
) -> None:
    """Rule DUTY-2: terms of two weeks in the centre's order; the chief's leave needs a stand-in
    approved by the head duty chief, never by the chief."""
    office = logged_in(TestClient(app), sqlite_engine, Role.SUPERVISOR)
    set_rotation(office)
    chief = office.get("/api/duty/demo/chief", params={"start": "2026-11-30", "end": "2027-01-10"})
    terms = [(t["staff_id"], t["start"], t["end"]) for t in chief.json()["terms"]]
    assert terms == [
        ("S011", "2026-11-30", "2026-12-13"),
        ("S031", "2026-12-14", "2026-12-27"),
        ("S051", "2026-12-28", "2027-01-10"),
    ]
    assert chief.json()["chief"] == "S011"
    r = office.post(
        "/api/duty/demo/chief-standins",
        json={"chief": "S011", "staff_id": "S021", "start": "2026-12-07", "end": "2026-12-08"},
    )
    assert r.status_code == 201 and r.json()["approved_by"] == "test-supervisor"
    bad = office.post(
        "/api/duty/demo/chief-standins",
        json={"chief": "S031", "staff_id": "S021", "start": "2026-12-07", "end": "2026-12-07"},
    )
    assert bad.status_code == 422 and "不是值班长" in bad.json()["detail"][0]["text"]
    now = office.get("/api/duty/demo/chief").json()
    assert (now["chief"], now["rostered_chief"]) == ("S021", "S011")
    chief_op = logged_in(TestClient(app), sqlite_engine, Role.DUTY_CHIEF)
    assert (
        chief_op.put(
            "/api/duty/demo/rotation", json={"anchor": "2027-01-01", "order": ["S011"]}
        ).status_code
        == 403
    )


def test_checks_planned_each_morning_hidden_until_due_recorded_or_alerted(
    app: Any, sqlite_engine: Engine, clock: Clock
) -> None:
    """Rule POST-8: two random checks, times hidden from viewers until due; a checklist per
    seat next to the ledger's holder; a check not done in time raises one alert."""
    office = logged_in(TestClient(app), sqlite_engine, Role.ADMIN)
    set_rotation(office)
    app.state.duty_ticker.tick()  # the hub's morning round plans the day's checks
    chief = logged_in(TestClient(app), sqlite_engine, Role.DUTY_CHIEF)
    viewer = logged_in(TestClient(app), sqlite_engine, Role.VIEWER)
    planned = chief.get("/api/duty/demo/checks").json()
    assert len(planned) == 2 and all(c["planned_at"] for c in planned)
    assert planned[0]["chief"] == "S011"
    first, second = (datetime.fromisoformat(c["planned_at"]) for c in planned)
    assert (second - first) >= timedelta(minutes=60)
    assert [c["planned_at"] for c in viewer.get("/api/duty/demo/checks").json()] == [None, None]
    path = f"/api/duty/demo/checks/{planned[0]['id']}"
    early = chief.post(path, json={"items": {}})
    assert early.status_code == 422 and early.json()["detail"][0]["key"] == "check_err_not_due"
    clock.at = first + timedelta(minutes=3)
    add_punches(sqlite_engine, [(s, local(MONDAY, "08:15")) for s in ("S011", "S021")])
    seen = viewer.get("/api/duty/demo/checks").json()
    assert seen[0]["planned_at"] is not None and seen[1]["planned_at"] is None
    items = {"w01-a": {"on_post": True, "badge": True, "sign": True, "desk": False, "note": "乱"}}
    r = chief.post(path, json={"items": items, "note": "第一次抽查"})
    assert r.status_code == 200, r.text
    row = next(i for i in r.json()["items"] if i["seat"] == "w01-a")
    assert (row["staff_id"], row["basis"], row["desk"], row["badge"]) == ("S011", "A", False, True)
    assert r.json()["checked_by"] == "test-duty_chief"
    clock.at = second + timedelta(minutes=31)
    assert app.state.duty_ticker.tick()["overdue"] == 1
    assert app.state.duty_ticker.tick()["overdue"] == 0  # once
    (alert,) = alerts(sqlite_engine, "duty_check_overdue")
    assert "POST-8" in alert.message and "第 2 次" in alert.message


def test_opening_check_acknowledged_by_the_duty_chief_or_alerted_at_opening(
    app: Any, sqlite_engine: Engine, clock: Clock
) -> None:
    """Rule DEV-1: the kiosk and ticket printer are checked too; no acknowledgement by opening
    time raises an alert; the chief's acknowledgement closes it and is kept with the report."""
    office = logged_in(TestClient(app), sqlite_engine, Role.ADMIN)
    set_rotation(office)
    chief = logged_in(TestClient(app), sqlite_engine, Role.DUTY_CHIEF)
    r = chief.post("/api/duty/demo/opening/ack", json={})
    assert r.status_code == 422 and r.json()["detail"][0]["key"] == "opening_err_no_report"
    clock.at = local(MONDAY, "08:20")
    report = run_opening_check(sqlite_engine, HALL, clock.at, FleetPolicy())
    kinds = {p.kind for p in report.problems}
    assert {"kiosk", "ticket_printer"} <= kinds  # never reported: not healthy (DEV-1)
    clock.at = local(MONDAY, "08:29")
    assert app.state.duty_ticker.tick()["opening_alerts"] == 0
    clock.at = local(MONDAY, "08:31")
    assert app.state.duty_ticker.tick()["opening_alerts"] == 1
    (alert,) = alerts(sqlite_engine, "opening_unacknowledged")
    assert alert.state == "open" and "DEV-1" in alert.message
    r = chief.post("/api/duty/demo/opening/ack", json={"note": "取号机离线，已报信息科"})
    assert r.status_code == 200, r.text
    ack = r.json()
    assert ack["acknowledged_by"] == "test-duty_chief" and ack["chief"] == "S011"
    assert {p["device"] for p in ack["problems"]} >= {"hall-kiosk", "hall-printer"}
    assert alerts(sqlite_engine, "opening_unacknowledged")[0].state == "resolved"
    again = chief.post("/api/duty/demo/opening/ack", json={})
    assert again.status_code == 422 and again.json()["detail"][0]["key"] == "opening_err_done"


def test_log_entries_points_and_a_day_not_yet_come(app: Any, sqlite_engine: Engine) -> None:
    """Rule DUTY-2: the duty chief's log; points name whom they go to; no log for tomorrow."""
    office = logged_in(TestClient(app), sqlite_engine, Role.ADMIN)
    set_rotation(office)
    chief = logged_in(TestClient(app), sqlite_engine, Role.DUTY_CHIEF)
    r = chief.post(
        "/api/duty/demo/log",
        json={"kind": "points", "text": "主动延时服务", "staff_id": "S021", "points": 2},
    )
    assert r.status_code == 201 and r.json()["chief"] == "S011"
    assert (
        chief.post(
            "/api/duty/demo/log", json={"kind": "points", "text": "x", "points": -1}
        ).status_code
        == 422
    )
    tomorrow = chief.post("/api/duty/demo/log", json={"day": "2026-12-08", "text": "明天"})
    assert tomorrow.status_code == 422 and tomorrow.json()["detail"][0]["key"] == "log_err_future"
    (entry,) = chief.get("/api/duty/demo/log").json()
    assert (entry["kind"], entry["points"], entry["author"]) == ("points", 2, "test-duty_chief")


def test_arriving_early_staff_and_duty_chief(app: Any, sqlite_engine: Engine, clock: Clock) -> None:
    """Rule ATT-12: staff 5 minutes before opening, the duty chief 10."""
    office = logged_in(TestClient(app), sqlite_engine, Role.ADMIN)
    set_rotation(office)
    add_punches(
        sqlite_engine,
        [
            ("S011", local(MONDAY, "08:24")),  # the duty chief: 6 min is short of 10
            ("S012", local(MONDAY, "08:24")),  # staff: 6 min is enough
            ("S021", local(MONDAY, "08:28")),  # 2 min: short
            ("S031", local(MONDAY, "08:40")),  # after opening (late: attendance's verdict)
        ],
    )
    clock.at = local(MONDAY, "12:00")
    rows = {a["staff_id"]: a for a in office.get("/api/duty/demo/arrivals").json()}
    assert (rows["S011"]["verdict"], rows["S011"]["chief"], rows["S011"]["needed_min"]) == (
        "short",
        True,
        10,
    )
    assert rows["S012"]["verdict"] == "ok" and rows["S021"]["verdict"] == "short"
    assert rows["S031"]["verdict"] == "after" and rows["S041"]["verdict"] == "none"
    assert all(a["rule"] == "ATT-12" for a in rows.values())
    assert "S902" in rows  # a rostered B holder is expected too; nobody unrostered is


def test_every_change_of_holder_is_pushed_to_the_seats_rating_device(
    app: Any, sqlite_engine: Engine, clock: Clock
) -> None:
    """Rule RATE-2: A not arrived at opening -> B holds -> A arrives: each change is pushed
    with the holder's name and number (the demo's rating device of w02 is on seat w02-a)."""
    sent = app.state.commands.sent
    add_punches(sqlite_engine, [("S901", local(MONDAY, "08:10")), ("S011", local(MONDAY, "08:12"))])
    watch = app.state.duty_watch
    watch.sync_all(sqlite_engine)  # 07:00: everyone expected; first push of every seat
    shows = [b for _h, d, b in sent if d == "w02-rate" and isinstance(b, ShowServing)]
    national = ["overall", "efficiency", "service_level", "attitude"]  # the dimensions (RATE-1)
    assert shows[-1] == ShowServing(
        seat="w02-a", staff_id="S021", name=shows[-1].name, ticket=None, dimensions=national
    )
    clock.at = local(MONDAY, "08:31")
    changes = {c.seat: c for c in watch.sync_all(sqlite_engine)}
    assert changes["w02-a"].staff_id == "S901" and changes["w02-a"].basis == "B"
    assert "w01-a" not in changes  # S011 arrived: nothing changed, nothing pushed
    show = [b for _h, d, b in sent if d == "w02-rate"][-1]
    assert (show.staff_id, show.name) == ("S901", "孙丽")
    add_punches(sqlite_engine, [("S021", local(MONDAY, "08:50"))])
    clock.at = local(MONDAY, "08:51")
    assert [c.staff_id for c in watch.sync_all(sqlite_engine) if c.seat == "w02-a"] == ["S021"]
    assert watch.sync_all(sqlite_engine) == []  # no change, no push


def test_a_duty_chief_on_leave_without_a_stand_in(
    app: Any, sqlite_engine: Engine, clock: Clock
) -> None:
    """Rule DUTY-2: the chief's own leave needs an approved stand-in. S011's leave approved by
    attendance alone: the next in the centre's order (S031) stands in, checks and the opening
    acknowledgement are S031's, and one alert says so until the head approves a stand-in."""
    office = logged_in(TestClient(app), sqlite_engine, Role.SUPERVISOR)
    set_rotation(office)
    projector = AttendanceProjector(load_policy("wenshang-2021"))
    wf = AttendanceWorkflow(sqlite_engine, projector, clock)
    leave = wf.request_leave(
        actor="x",
        staff_id="S011",
        kind="personal",
        start=local(MONDAY, "00:00"),
        end=local(MONDAY, "23:59"),
    )
    wf.decide_leave(actor="head", leave_id=leave, stage="department", approve=True)
    wf.decide_leave(actor="office", leave_id=leave, stage="office", approve=True)
    now = office.get("/api/duty/demo/chief").json()
    assert (now["chief"], now["rostered_chief"], now["standin_unapproved"]) == (
        "S031",
        "S011",
        True,
    )
    page = office.get("/duty").text
    assert 'id="chief-unapproved"' in page and "未经总值班长批准" in page  # shown, in words
    ticker = app.state.duty_ticker
    assert ticker.tick()["chief_leave"] == 1
    assert ticker.tick()["chief_leave"] == 1  # still so: the same alert, not a second
    [alert] = alerts(sqlite_engine, "chief_leave_unapproved")
    assert (alert.state, alert.rule, alert.staff_id, alert.occurrences) == (
        "open",
        "DUTY-2",
        "S011",
        1,
    )
    assert "S031" in alert.message and "总值班长" in alert.message
    checks = office.get("/api/duty/demo/checks").json()
    assert checks and {c["chief"] for c in checks} == {"S031"}  # POST-8: the stand-in checks
    tuesday = office.get("/api/duty/demo/chief", params={"start": "2026-12-08"}).json()
    assert tuesday["terms"][0]["staff_id"] == "S011"  # back the next day: the term is S011's
    r = office.post(
        "/api/duty/demo/chief-standins",
        json={"chief": "S011", "staff_id": "S051", "start": "2026-12-07", "end": "2026-12-07"},
    )
    assert r.status_code == 201, r.text
    approved = office.get("/api/duty/demo/chief").json()
    assert (approved["chief"], approved["standin_unapproved"]) == ("S051", False)
    assert 'id="chief-unapproved"' not in office.get("/duty/chief").text
    assert ticker.tick()["chief_leave"] == 0
    [alert] = alerts(sqlite_engine, "chief_leave_unapproved")
    assert (alert.state, alert.resolved_by) == ("resolved", "auto")
    clock.at = local(MONDAY + timedelta(days=1), "07:00")
    assert office.get("/api/duty/demo/chief").json()["chief"] == "S011"
