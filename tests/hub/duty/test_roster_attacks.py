"""The roster attacked (rule DUTY-1): two operators editing the same month at once (both edits
kept, no server error, on SQLite and PostgreSQL), and a month whose attendance is closed (ATT-8)
refusing every refiling, told in the reader's language."""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.duty.roster import Role
from hub.duty.roster_desk import edit_roster
from hub.duty.roster_store import month_entries, versions
from hub.users.accounts import Role as OpRole
from tests.hub.duty.support import HD, TZ, Clock, file_demo_roster, seed_people
from tests.support.auth import full_app, logged_in

DAYS = [date(2026, 12, d) for d in (7, 8, 9, 10)]


def test_two_operators_edit_the_same_month_at_once(engine: Engine) -> None:
    """Four edits of four cells race; each is filed on top of the others, none lost."""
    seed_people(engine)
    file_demo_roster(engine)
    errors: list[BaseException] = []
    start = threading.Barrier(len(DAYS))

    def edit(day: date) -> None:
        try:
            start.wait(10)
            edit_roster(
                engine,
                HD,
                day=day,
                seat="w02-a",
                role="B",
                staff_id="S902",
                actor=f"office-{day.day}",
                now=datetime(2026, 11, 26, 9, tzinfo=TZ),
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=edit, args=(d,)) for d in DAYS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with engine.connect() as conn:
        filed = versions(conn, HD.id, "2026-12")
        entries = month_entries(conn, HD.id, "2026-12")
    assert sorted(v["version"] for v in filed) == [1, 2, 3, 4, 5]
    b = {e.day: e.staff_id for e in entries if e.seat == "w02-a" and e.role is Role.B}
    assert all(b[d] == "S902" for d in DAYS), b  # every operator's cell is in force


def test_a_closed_month_keeps_its_roster(sqlite_engine: Engine) -> None:
    """Rule ATT-8: once December's attendance is closed, neither a cell edit nor an import
    changes who was expected; the refusal says how to proceed, in Chinese or English."""
    seed_people(sqlite_engine)
    file_demo_roster(sqlite_engine)
    clock = Clock(datetime(2027, 1, 2, 9, tzinfo=TZ))
    office: Any = logged_in(
        TestClient(full_app(sqlite_engine, clock=clock)), sqlite_engine, OpRole.SUPERVISOR
    )
    closed = office.post("/api/attendance/months/2026-12/close", json={"why": "月结"})
    assert closed.status_code == 200, closed.text
    cell = {"day": "2026-12-07", "seat": "w02-a", "role": "B", "staff_id": "S902", "why": "x"}
    r = office.put("/api/duty/demo/roster/cell", json=cell)
    assert r.status_code == 422 and r.json()["detail"][0]["key"] == "roster_err_closed"
    assert "已月结" in r.json()["detail"][0]["text"]
    en = office.put("/api/duty/demo/roster/cell", json=cell, params={"lang": "en"})
    assert "closed" in en.json()["detail"][0]["text"]
    upload = {
        "file": ("r.csv", "工号,日期,岗位,岗别\nS021,2026-12-07,w02-a,A\n".encode(), "text/csv")
    }
    r = office.post("/api/duty/demo/roster/import", files=upload, data={"month": "2026-12"})
    assert r.status_code == 422 and r.json()["detail"][0]["key"] == "roster_err_closed"
    with sqlite_engine.connect() as conn:
        assert [v["version"] for v in versions(conn, HD.id, "2026-12")] == [1]  # unchanged
