"""A hub serving two halls whose windows share names (both have a w02): each hall's post ledger
reads only its own hall's substitutes (rule ATT-7) and punches, imported ones too (DUTY-1,
RATE-2), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.attendance import router
from hub.attendance.checks import FieldError, WorkflowError
from hub.attendance.engine import PunchFact
from hub.attendance.policy import load_policy
from hub.attendance.projector import AttendanceProjector
from hub.attendance.workflow import AttendanceWorkflow
from hub.duty.ledger_store import day_facts, hall_duty, punches, stand_ins
from tests.hub.attendance.dbhelpers import add_staff
from tests.hub.duty.support import HALL

EAST = HALL.model_copy(update={"id": "east", "name": "东区便民服务大厅"})
DAY = datetime(2025, 6, 3, 0, 0, tzinfo=UTC)  # 08:00 on Tuesday 3 June in the halls


def workflow(engine: Engine) -> AttendanceWorkflow:
    """The attendance workflow of the hub, its clock the day before DAY."""
    add_staff(engine, ("S021", "social", "w02"), ("S905", "social", ""), hall=HALL.id)
    add_staff(engine, ("E021", "tax", "w02"), ("E905", "tax", ""), hall=EAST.id)
    projector = AttendanceProjector(load_policy("wenshang-2021"))
    return AttendanceWorkflow(engine, projector, clock=lambda: DAY - timedelta(days=1))


def substitute(wf: AttendanceWorkflow, staff: str, spare: str, hall: str | None = None) -> int:
    """`spare` stands in at w02 for `staff` on DAY (rule ATT-7)."""
    return wf.add_substitute(
        actor="office",
        hall=hall,
        window="w02",
        staff_id=staff,
        substitute_id=spare,
        start=DAY,
        end=DAY + timedelta(hours=10),
    )


def test_each_halls_ledger_reads_its_own_substitutes(engine: Engine) -> None:
    """Rule ATT-7: the substitute for the demo hall's w02 is no stand-in at the east hall's
    w02, nor the other way round (before, both ledgers matched both by window alone)."""
    wf = workflow(engine)
    substitute(wf, "S021", "S905")  # rule ATT-7: the hall is the staff member's
    substitute(wf, "E021", "E905", hall=EAST.id)
    assert [(s["hall"], s["substitute_id"]) for s in wf.list_substitutes("w02")] == [
        (EAST.id, "E905"),
        (HALL.id, "S905"),
    ]
    assert [s["substitute_id"] for s in wf.list_substitutes(hall=EAST.id)] == ["E905"]
    for hall, spare, leaver in ((HALL, "S905", "S021"), (EAST, "E905", "E021")):
        start, end = hall_duty(hall).day_bounds(DAY.date())
        with engine.connect() as conn:
            found = stand_ins(conn, hall, start, end)
        assert [(s.staff_id, s.for_staff, s.window) for s in found] == [(spare, leaver, "w02")]


def test_a_substitute_is_recorded_at_the_staff_members_own_hall(engine: Engine) -> None:
    """Rule ATT-7: the leaver's window is in the leaver's hall; another hall is refused."""
    wf = workflow(engine)
    with pytest.raises(FieldError) as refused:
        substitute(wf, "S021", "S905", hall=EAST.id)
    assert (refused.value.key, refused.value.field) == ("att.err.substitute_hall", "hall")
    assert wf.list_substitutes() == []


def test_the_api_derives_the_hall_or_refuses_another(engine: Engine) -> None:
    """Rule ATT-7: POST /api/attendance/substitutes without a hall records the staff member's;
    naming another hall is refused beside the field, in the catalogue's words."""
    workflow(engine)
    app = FastAPI()
    app.state.engine = engine
    app.state.clock = lambda: DAY - timedelta(days=1)
    app.include_router(router)
    c = TestClient(app)
    body = {
        "window": "w02",
        "staff_id": "E021",
        "substitute_id": "E905",
        "start": DAY.isoformat(),
        "end": (DAY + timedelta(hours=10)).isoformat(),
    }
    r = c.post("/api/attendance/substitutes", headers={"X-Actor": "office"}, json=body)
    assert (r.status_code, r.json()["hall"]) == (201, EAST.id), r.text
    r = c.post(
        "/api/attendance/substitutes",
        headers={"X-Actor": "office"},
        json={**body, "hall": HALL.id},
    )
    detail = r.json()["detail"][0]
    assert (r.status_code, detail["loc"][-1]) == (422, "hall"), r.text
    assert detail["msg"] == "替岗只能登记在该工作人员 E021 所在大厅的窗口（ATT-7）"
    r = c.get("/api/attendance/substitutes", params={"hall": EAST.id})
    assert [(s["hall"], s["substitute_id"]) for s in r.json()] == [(EAST.id, "E905")]


def test_an_imported_punch_is_its_staff_members_halls(engine: Engine) -> None:
    """DUTY-1, RATE-2: a punch imported for the demo hall's S021 (no event, no terminal) is an
    arrival in the demo hall's ledger only; the east hall, with no punch of its own, stays a day
    with no punch known (before, every hall read imported punches, which named no hall, so the
    east hall's rostered staff counted as not arrived after opening)."""
    workflow(engine)
    at = DAY + timedelta(minutes=5)
    AttendanceProjector(load_policy("wenshang-2021")).rejudge_punches(
        engine, [PunchFact("S021", at)]
    )
    for hall, first in ((HALL, {"S021": at}), (EAST, {})):
        hd = hall_duty(hall)
        with engine.connect() as conn:
            assert punches(conn, hall, *hd.day_bounds(DAY.date())) == (first, [])
            assert day_facts(conn, hd, DAY.date()).punches_known is bool(first)


def test_another_halls_window_of_the_same_name_is_no_mate(engine: Engine) -> None:
    """Rule ATT-7: S021, the only staff of the demo hall's w02, needs a substitute on post
    before leave is approved, though the east hall's E021 sits at a w02 too (before, E021
    counted as S021's window mate, and the leave went through with nobody at the window)."""
    wf = workflow(engine)
    leave = wf.request_leave(
        actor="S021", staff_id="S021", kind="personal", start=DAY, end=DAY + timedelta(hours=10)
    )
    wf.decide_leave(actor="head", leave_id=leave, stage="department", approve=True)
    with pytest.raises(WorkflowError) as refused:
        wf.decide_leave(actor="office", leave_id=leave, stage="office", approve=True)
    assert (refused.value.key, refused.value.values) == (
        "att.err.substitute_sole",
        {"staff_id": "S021", "window": "w02"},
    )
    substitute(wf, "S021", "S905")
    decided = wf.decide_leave(actor="office", leave_id=leave, stage="office", approve=True)
    assert decided["status"] == "approved"
