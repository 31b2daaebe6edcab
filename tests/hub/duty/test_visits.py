"""Leaders sitting in (rule DUTY-3) and inspections (rule DUTY-4) through the API (SQLite): a
week's notice or flagged late, recorded by the leader's punch or an operator, the month's list
per week; inspections against the window and whoever held its seat then (the post ledger),
counted in the monthly assessment; the wrong day, window, staff number and the second
registration refused with the catalogue's words."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.users.accounts import Role
from tests.hub.duty.support import Clock, add_punches, file_demo_roster, local, seed_people
from tests.support.auth import full_app, logged_in

THURSDAY = date(2026, 12, 3)
MONDAY = date(2026, 12, 7)


@pytest.fixture
def clock() -> Clock:
    return Clock(local(THURSDAY, "10:00"))


@pytest.fixture
def office(sqlite_engine: Engine, clock: Clock) -> Any:
    seed_people(sqlite_engine)
    file_demo_roster(sqlite_engine)
    app = full_app(sqlite_engine, clock=clock)
    return logged_in(TestClient(app), sqlite_engine, Role.SUPERVISOR)


def refused(r: Any) -> str:
    assert r.status_code == 422, r.text
    return str(r.json()["detail"][0]["key"])


def test_leaders_sit_in_registered_a_week_ahead(
    office: Any, clock: Clock, sqlite_engine: Engine
) -> None:
    """Rule DUTY-3: registered a week ahead (less is flagged), recorded by the leader's own
    punch or by an operator, at least one sitting a week."""
    post = "/api/duty/demo/sittings"
    ahead = office.post(post, json={"leader": "李局长", "window": "w03", "day": "2026-12-10"})
    assert ahead.status_code == 201 and ahead.json()["late"] is False  # 7 days ahead
    short = office.post(
        post,
        json={"leader": "王主任", "leader_staff_id": "S011", "window": "w01", "day": "2026-12-07"},
    )
    assert short.status_code == 201 and short.json()["late"] is True  # 4 days: flagged
    again = office.post(post, json={"leader": "李局长", "window": "w01", "day": "2026-12-10"})
    assert refused(again) == "visit_err_twice"
    past = office.post(post, json={"leader": "赵科长", "window": "w01", "day": "2026-12-02"})
    assert refused(past) == "visit_err_past"
    assert "已过去" in past.json()["detail"][0]["text"]  # told in Chinese
    nowhere = office.post(post, json={"leader": "赵科长", "window": "w99", "day": "2026-12-10"})
    assert refused(nowhere) == "visit_err_window"
    stranger = office.post(
        post,
        json={"leader": "赵科长", "leader_staff_id": "X1", "window": "w01", "day": "2026-12-10"},
    )
    assert refused(stranger) == "visit_err_staff"
    sat = f"{post}/{ahead.json()['id']}/sat"
    assert refused(office.post(sat, json={"note": "早到"})) == "visit_err_future"  # not yet
    # Monday: the leader S011 punches in; Thursday the 10th an operator records the other
    add_punches(sqlite_engine, [("S011", local(MONDAY, "08:25"))])
    clock.at = local(date(2026, 12, 10), "11:00")
    done = office.post(sat, json={"note": "坐班半天"})
    assert done.status_code == 200 and done.json()["sat_source"] == "operator"
    month = office.get(post, params={"month": "2026-12"}).json()
    by_leader = {r["leader"]: r for r in month["sittings"]}
    assert by_leader["王主任"]["sat_source"] == "punch"  # found by the leader's own punch
    assert by_leader["李局长"]["sat_source"] == "operator"
    weeks = {w["week"]: (w["sat"], w["met"]) for w in month["weeks"]}
    assert weeks["2026-12-07"] == (2, True)
    assert weeks["2026-12-14"] == (0, False)  # a week without its sitting shows as not met
    assert office.post(post, json={"leader": "李局长", "day": "2026-12-11"}).status_code == 422


def test_inspections_against_the_window_and_the_holder(
    office: Any, clock: Clock, sqlite_engine: Engine
) -> None:
    """Rule DUTY-4: an inspection names the window; its staff is the ledger's holder then (B
    when A is not in, POST-7); its finding counts in both assessments (DUTY-5)."""
    add_punches(sqlite_engine, [("S901", local(MONDAY, "08:15")), ("S011", local(MONDAY, "08:16"))])
    clock.at = local(MONDAY, "11:00")
    post = "/api/duty/demo/inspections"
    at = local(MONDAY, "10:30").isoformat()
    found = office.post(
        post,
        json={
            "at": at,
            "kind": "unannounced",
            "inspector": "督查考核科",
            "window": "w02",
            "problem": True,
            "findings": "未佩戴工作牌",
        },
    )
    assert found.status_code == 201, found.text
    assert found.json()["staff_id"] == "S901"  # S021 not in by 10:30: B held w02-a
    clean = office.post(
        post, json={"at": at, "inspector": "督查考核科", "window": "w01", "findings": "在岗"}
    )
    assert clean.json()["staff_id"] == "S011" and clean.json()["problem"] is False
    named = office.post(
        post, json={"inspector": "办公室", "window": "w03", "staff_id": "S031", "problem": True}
    )
    assert named.json()["staff_id"] == "S031"  # named by the operator, the current time
    later = (local(MONDAY, "11:00") + timedelta(hours=2)).isoformat()
    assert refused(office.post(post, json={"at": later, "inspector": "x", "window": "w01"})) == (
        "visit_err_future"
    )
    assert (
        refused(office.post(post, json={"inspector": "x", "window": "w01", "staff_id": "S0000"}))
        == "visit_err_staff"
    )
    assert (
        office.post(post, json={"inspector": "x", "window": "w01", "kind": "x"}).status_code == 422
    )
    listed = office.get(post, params={"month": "2026-12"}).json()["inspections"]
    assert [(i["window"], i["staff_id"], i["problem"]) for i in listed] == [
        ("w02", "S901", True),
        ("w01", "S011", False),
        ("w03", "S031", True),
    ]
    assessed = office.get("/api/duty/demo/assessment", params={"month": "2026-12"}).json()
    staff = {a["subject"]: a for a in assessed["staff"]}
    items = [(i["key"], i["count"], i["rule"]) for i in staff["S901"]["items"]]
    assert ("inspection_problem", 1, "DUTY-4") in items
    assert not any(i["key"] == "inspection_problem" for i in staff["S011"]["items"])
    w02 = next(w for w in assessed["windows"] if w["subject"] == "w02")
    assert any(i["key"] == "inspection_problem" and i["count"] == 1 for i in w02["items"])
