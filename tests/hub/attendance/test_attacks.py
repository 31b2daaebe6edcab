"""What an attacker, a fault or a confused operator tries on attendance: control characters,
days outside a staff member's employment, overlapping leave, two operators racing on one
leave, self-approval through a second account, numbers beyond the database (rules ATT-5..8)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.attendance.policy import load_policy
from hub.attendance.projector import AttendanceProjector
from hub.attendance.store import STAFF
from hub.attendance.workflow import AttendanceWorkflow, FieldError, WorkflowError
from hub.users.accounts import Role
from tests.hub.attendance.dbhelpers import add_staff
from tests.hub.attendance.helpers import at
from tests.hub.dashboard.conftest import form_login
from tests.support.auth import PASSWORD, full_app, log_in, make_user

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 on Thursday 3 December in the hall


def workflow(engine: Engine) -> AttendanceWorkflow:
    return AttendanceWorkflow(engine, AttendanceProjector(load_policy()), clock=lambda: NOW)


def client(app: Any, engine: Engine, name: str, role: Role) -> TestClient:
    make_user(engine, name, role)
    c = TestClient(app)
    log_in(c, name)
    return c


def test_control_characters_and_huge_numbers_are_refused_not_500(engine: Engine) -> None:
    """NUL and lone surrogates crashed PostgreSQL (500); a bidi override hides a reason's words;
    an id beyond the database's integers crashed PostgreSQL too."""
    add_staff(engine, ("s1", "tax", "w01"))
    app = full_app(engine, clock=lambda: NOW)
    c = client(app, engine, "head", Role.SUPERVISOR)
    leave = {"staff_id": "s1", "kind": "personal", "start": "2026-12-04T08:00:00+08:00"}
    leave["end"] = "2026-12-04T12:00:00+08:00"
    for field, value in (("reason", "a\x00b"), ("staff_id", "s\x001"), ("reason", "\u202egnp.exe")):
        r = c.post("/api/attendance/leaves", json={**leave, field: value})
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["body", field]
        assert r.json()["detail"][0]["type"] == "att.err.control_char"
    lone = json.dumps({**leave, "reason": "\ud800"}).encode()  # a lone surrogate, escaped
    r = c.post("/api/attendance/leaves", content=lone, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    ok = c.post("/api/attendance/leaves", json={**leave, "reason": "发烧\n\t第二行"})
    assert ok.status_code == 201 and ok.json()["reason"] == "发烧\n\t第二行"
    lid = ok.json()["id"]
    r = c.post(f"/api/attendance/leaves/{lid}/revoke", json={"why": "x\x1b[2J"})
    assert r.status_code == 422
    for path in ("leaves/2147483648/revoke", "corrections/9223372036854775808/revoke"):
        assert c.post(f"/api/attendance/{path}", json={"why": "x"}).status_code == 422
    r = c.put(
        "/api/attendance/wages/s1",
        content=b'{"daily_wage_yuan": NaN}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422  # NaN answered as a refusal, not a JSON encoder's 500


def test_leave_and_correction_only_within_employment_and_never_overlapping(
    sqlite_engine: Engine,
) -> None:
    """Rules ATT-5, ATT-6 with issue 18.1: nobody is judged before starting or after leaving,
    so leave or a 补卡 there is refused beside its field; one absence is one leave."""
    add_staff(sqlite_engine, ("s1", "tax", "w01"), ("left", "tax", "w01"))
    add_staff(sqlite_engine, ("new", "tax", "w02"), start=date(2026, 12, 7))
    with sqlite_engine.begin() as conn:
        conn.execute(
            sa.update(STAFF).where(STAFF.c.staff_id == "left").values(leave_date=date(2026, 12, 1))
        )
    wf = workflow(sqlite_engine)

    def ask(staff_id: str, day: str, t0: str = "08:00", t1: str = "18:00") -> int:
        return wf.request_leave(
            actor="clerk", staff_id=staff_id, kind="personal", start=at(day, t0), end=at(day, t1)
        )

    for staff_id, day in (("left", "2026-12-02"), ("new", "2026-12-04")):
        with pytest.raises(FieldError) as e:
            ask(staff_id, day)
        assert (e.value.key, e.value.field) == ("att.err.not_employed", "start")
    assert ask("left", "2026-12-01") > 0  # the leaving day itself is still theirs
    assert ask("new", "2026-12-07") > 0
    with pytest.raises(FieldError) as e:
        wf.file_correction(
            actor="clerk",
            staff_id="left",
            at=at("2026-12-02", "08:20"),
            reason="x",
            checkpoint="AM_IN",
        )
    assert (e.value.key, e.value.field) == ("att.err.not_employed", "at")
    first = ask("s1", "2026-12-04")
    with pytest.raises(FieldError) as e:  # inside the first one
        ask("s1", "2026-12-04", "09:00", "10:00")
    assert (e.value.key, e.value.values["leave_id"]) == ("att.err.leave_overlap", first)
    assert ask("s1", "2026-12-04", "18:00", "19:00") > 0  # right after it: no overlap
    wf.revoke_leave(actor="office", leave_id=first, why="filed twice")
    assert ask("s1", "2026-12-04", "09:00", "10:00") > 0  # a revoked leave stands no more
    with pytest.raises(FieldError) as e:  # a substitute for nobody, from 1999 to 2099
        wf.add_substitute(
            actor="office",
            window="w01",
            staff_id="ghost",
            substitute_id="x",
            start=at("2026-12-04", "08:00"),
            end=at("2026-12-05", "08:00"),
        )
    assert e.value.key == "att.err.unknown_staff"
    with pytest.raises(FieldError) as e:
        wf.add_substitute(
            actor="office",
            window="w01",
            staff_id="s1",
            substitute_id="x",
            start=at("1999-12-04", "08:00"),
            end=at("2099-12-04", "08:00"),
        )
    assert e.value.key == "att.err.substitute_too_long"


def test_a_revoke_racing_an_approval_never_leaves_the_leave_approved(engine: Engine) -> None:
    """Two operators at the same moment: the office approves while another revokes (ATT-6).
    Both were accepted and the leave stayed approved (11 of 15 tries on PostgreSQL)."""
    add_staff(engine, ("s1", "tax", ""))
    wf = workflow(engine)
    for i in range(6):
        hour = f"{8 + i:02d}"
        lid = wf.request_leave(
            actor="clerk",
            staff_id="s1",
            kind="personal",
            start=at("2026-12-02", f"{hour}:00"),
            end=at("2026-12-02", f"{hour}:30"),
        )
        wf.decide_leave(actor="head", leave_id=lid, stage="department", approve=True)
        done: dict[str, str] = {}
        gate = threading.Barrier(2)

        def act(name: str, lid: int = lid, gate: Any = gate, done: Any = done) -> None:
            gate.wait()
            try:
                if name == "approve":
                    wf.decide_leave(actor="office", leave_id=lid, stage="office", approve=True)
                else:
                    wf.revoke_leave(actor="office2", leave_id=lid, why="forged certificate")
                done[name] = "ok"
            except WorkflowError:
                done[name] = "refused"

        threads = [threading.Thread(target=act, args=(n,)) for n in ("approve", "revoke")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert done["revoke"] == "ok"  # revoking stands in either order
        assert wf.get_leave(lid)["status"] == "revoked", done


def test_nobody_approves_their_own_leave_through_a_second_account(sqlite_engine: Engine) -> None:
    """Rules ATT-5, ATT-6: an account names the staff member it belongs to (admin, audited);
    neither a second account of the person nor one of the department stage's person decides."""
    add_staff(sqlite_engine, ("s1", "tax", "w01"), ("s2", "tax", "w01"))
    app = full_app(sqlite_engine, clock=lambda: NOW)
    admin = client(app, sqlite_engine, "admin", Role.ADMIN)
    for name, role, staff_id in (
        ("li-lead", Role.WINDOW_LEAD, "s1"),
        ("li-office", Role.SUPERVISOR, "s1"),
        ("wang", Role.SUPERVISOR, "s2"),
        ("zhao", Role.SUPERVISOR, None),
    ):
        r = admin.post(
            "/api/users",
            json={
                "username": name,
                "password": "a-long-password",
                "role": role,
                "staff_id": staff_id,
            },
        )
        assert r.status_code == 201 and r.json()["staff_id"] == staff_id
    assert admin.put("/api/users/zhao/staff", json={"staff_id": "ghost"}).status_code == 422
    assert admin.put("/api/users/nobody/staff", json={"staff_id": "s1"}).status_code == 404
    r = admin.put("/api/users/zhao/staff", json={"staff_id": "s2", "why": "王的第二个账号"})
    assert r.status_code == 200 and r.json()["staff_id"] == "s2"
    users = {u["username"]: u["staff_id"] for u in admin.get("/api/users").json()}
    assert users["zhao"] == "s2" and users["admin"] is None
    as_ = {}
    for name in ("li-lead", "li-office", "wang", "zhao"):
        as_[name] = TestClient(app)
        log_in(as_[name], name, "a-long-password")
    assert as_["wang"].put("/api/users/wang/staff", json={"staff_id": None}).status_code == 403
    leave = {"kind": "personal", "start": "2026-12-04T08:00:00+08:00"}
    leave["end"] = "2026-12-04T18:00:00+08:00"
    lid = as_["li-lead"].post("/api/attendance/leaves", json={**leave, "staff_id": "s1"}).json()
    path = f"/api/attendance/leaves/{lid['id']}/decision"
    own = as_["li-office"].post(path, json={"stage": "department", "approve": True})
    assert own.status_code == 403 and own.json()["detail"] == "不能审批本人的请假（ATT-5）"
    lid = as_["li-lead"].post("/api/attendance/leaves", json={**leave, "staff_id": "s2"}).json()
    path = f"/api/attendance/leaves/{lid['id']}/decision"
    assert as_["li-lead"].post(path, json={"stage": "department", "approve": True}).is_success
    again = as_["li-office"].post(path, json={"stage": "office", "approve": True})
    assert again.status_code == 403  # li took the department stage with their other account
    assert as_["zhao"].post(path, json={"stage": "office", "approve": True}).status_code == 403
    fix = {"staff_id": "s2", "at": "2026-12-02T08:20:00+08:00", "checkpoint": "AM_IN"}
    cid = as_["li-lead"].post("/api/attendance/corrections", json={**fix, "reason": "忘打卡"})
    review = f"/api/attendance/corrections/{cid.json()['id']}/review"
    assert as_["li-office"].post(review, json={"approve": True}).status_code == 403  # li filed it
    assert as_["zhao"].post(review, json={"approve": True}).status_code == 403  # wang's own
    form = f'action="/attendance/corrections/{cid.json()["id"]}/review"'
    for name, shown in (("admin", True), ("zhao", False)):  # the page offers no such button
        page = TestClient(app)
        form_login(page, name, "a-long-password" if name == "zhao" else PASSWORD)
        assert (form in page.get("/attendance").text) is shown, name
