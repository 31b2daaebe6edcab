"""Issue 16's "done when", on SQLite and PostgreSQL: December 2026 of the demo hall with a filed
roster, a sick A holder replaced by B, a substitute who arrives late and a cover gives
attendance only for rostered staff, ratings bound to the person serving, the duty chief's
acknowledged opening checks and duty checks, and a monthly assessment frozen with the month.
Rules DUTY-1, DUTY-2, DUTY-5, DUTY-6, POST-7, ATT-7, POST-6, POST-8, DEV-1, RATE-2, ATT-12."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.attendance.tables import AttDay
from hub.commands import RecordingSender
from hub.complaints import store as complaints
from hub.demo.seed import seed_staff
from hub.duty.demo import seed_duty
from hub.duty.ledger_store import hall_duty
from hub.duty.roster_store import expected_pairs
from hub.fleet.engine import FleetPolicy
from hub.fleet.service import run_opening_check
from hub.ingest.hooks import IngestBatch
from hub.queue.service import QueueProjector
from hub.ratings.projector import RatingProjector
from hub.users.accounts import Role
from models.envelope import make_envelope
from models.events import Presence, Rating
from tests.hub.duty.support import HALL, TZ, Clock, local
from tests.support.auth import full_app, logged_in

DAY16 = date(2026, 12, 16)  # a Wednesday: the special day (sick, late substitute, cover)
NOW = datetime(2026, 12, 16, 8, 5, tzinfo=TZ)
LAST = date(2026, 12, 31)
DAY = AttDay.__table__  # type: ignore[attr-defined]


@pytest.fixture
def month(engine: Engine) -> tuple[Any, Clock]:
    seed_staff(engine, HALL)
    seed_duty(engine, HALL, local(LAST, "18:30"), rng=random.Random(3), special=DAY16)
    clock = Clock(NOW)
    app = full_app(engine, clock=clock)
    app.state.duty_ticker.rng = random.Random(5)
    return app, clock


def rate(engine: Engine, clock: Clock, window: str, hhmm: str, level: int) -> dict[str, Any]:
    """A citizen served at `window` at `hhmm` rates the service (queue -> rating device)."""
    clock.at = local(DAY16, hhmm)
    sender = RecordingSender()
    queue = QueueProjector(engine, sender, HALL, clock=clock)
    ratings = RatingProjector(engine, sender, HALL, clock=clock)
    service = next(w.services[0] for w in HALL.windows if w.id == window)
    ticket = queue.issue(service).events[-1].ticket
    queue.act(window, "next")
    ratings.sync_queue()
    seat = next(w.seats[0] for w in HALL.windows if w.id == window)
    body = Rating(seat=seat, ticket=ticket, shown_staff_id=None, level=level)
    env = make_envelope(
        hall="demo", device=f"{window}-rate", seq=1, ts=clock.at, synced=True, body=body
    )
    binding = ratings.record(env)
    assert binding is not None and binding.refusal is None, binding
    with engine.connect() as conn:
        row = (
            conn.execute(sa.text("select * from rating order by id desc limit 1")).mappings().one()
        )
    return dict(row)


def feed(app: Any, engine: Engine, events: list[Any]) -> None:
    for projector in app.state.projectors:
        projector.project(engine, IngestBatch(events=events))


def test_a_month_of_the_demo_hall(month: tuple[Any, Clock], engine: Engine) -> None:
    app, clock = month
    hd = hall_duty(HALL)
    office = logged_in(TestClient(app), engine, Role.SUPERVISOR)
    chief = logged_in(TestClient(app), engine, Role.DUTY_CHIEF)

    # DUTY-1: filed before the month, and attendance judges only rostered staff-days
    roster = office.get("/api/duty/demo/roster", params={"month": "2026-12"}).json()
    assert roster["late"] is False and roster["versions"][0]["version"] == 1
    with engine.connect() as conn:
        expected = expected_pairs(conn, hd, date(2026, 12, 1), LAST)
        judged = {(s, d) for s, d in conn.execute(sa.select(DAY.c.staff_id, DAY.c.day).distinct())}
    assert judged and judged <= expected
    assert not any(s == "S905" for s, d in judged if d != DAY16)  # the spare substitutes once

    # POST-7, ATT-7, POST-6: the special day's ledger
    ledger = office.get("/api/duty/demo/ledger", params={"day": DAY16.isoformat()}).json()
    by_seat: dict[str, list[tuple[str | None, str]]] = {}
    for h in ledger["holdings"]:
        by_seat.setdefault(h["seat"], []).append((h["staff_id"], h["basis"]))
    assert by_seat["w02-a"] == [("S901", "B")]  # sick A, B takes over
    assert by_seat["w04-a"] == [("S905", "substitute"), ("S902", "B"), ("S905", "substitute")]
    assert ("S903", "cover") in by_seat["w06-a"]
    assert {f["kind"] for f in ledger["flags"]} == {"substitute_missing"}

    # DEV-1: the opening check, acknowledged by the day's duty chief before opening
    run_opening_check(engine, HALL, local(DAY16, "08:18"), FleetPolicy())
    clock.at = local(DAY16, "08:20")
    ack = chief.post("/api/duty/demo/opening/ack", json={"note": "正常"}).json()
    assert ack["chief"] == office.get("/api/duty/demo/chief").json()["chief"]
    clock.at = local(DAY16, "08:40")
    app.state.duty_ticker.tick()
    assert app.state.duty_ticker.tick()["opening_alerts"] == 0  # acknowledged in time

    # RATE-2: ratings go to whoever serves: B at w02, B then the substitute at w04, the cover
    assert rate(engine, clock, "w02", "09:00", 1)["staff_id"] == "S901"
    assert rate(engine, clock, "w04", "09:05", 5)["staff_id"] == "S902"
    late_sub = rate(engine, clock, "w04", "09:30", 4)
    assert (late_sub["staff_id"], late_sub["present_source"]) == ("S905", "substitute")
    assert rate(engine, clock, "w06", "10:30", 5)["staff_id"] == "S903"
    with engine.connect() as conn:
        task = conn.execute(sa.text("select staff_id from rating_followup")).scalar()
    assert task == "S901"  # the dissatisfied rating's follow-up binds to B (RATE-3)

    # compliance: B leaves w02-a without the sign for 15 minutes: B's violation, not A's
    events = [
        make_envelope(
            hall="demo",
            device="w02-a-radar",
            seq=i,
            ts=local(DAY16, t),
            synced=True,
            body=Presence(seat="w02-a", present=p),
        )
        for i, (t, p) in enumerate((("08:20", True), ("11:00", False), ("11:15", True)), start=1)
    ]
    clock.at = local(DAY16, "11:20")
    feed(app, engine, events)
    v = office.get("/api/compliance/demo/violations", params={"day": DAY16.isoformat()}).json()
    assert {(x["rule"], x["staff_id"]) for x in v} >= {("POST-1", "S901"), ("POST-2", "S901")}

    # POST-8: the day's checks, done by the duty chief with the checklist
    for check in chief.get("/api/duty/demo/checks").json():
        clock.at = datetime.fromisoformat(check["planned_at"]) + timedelta(minutes=2)
        r = chief.post(
            f"/api/duty/demo/checks/{check['id']}",
            json={"items": {"w02-a": {"on_post": True, "badge": True, "sign": True, "desk": True}}},
        )
        assert r.status_code == 200, r.text
        row = next(i for i in r.json()["items"] if i["seat"] == "w02-a")
        assert row["staff_id"] == "S901" and row["basis"] == "B"
    clock.at = local(DAY16, "18:30")
    assert app.state.duty_ticker.tick()["overdue"] == 0
    clock.at = local(LAST, "18:30")

    # DUTY-6: complaints about whoever served: one found true against B, one unfounded
    for staff_id, finding in (("S901", "substantiated"), ("S021", "unfounded")):
        taken = complaints.take(
            engine,
            "demo",
            complaints.NewComplaint("phone", "态度", "窗口人员态度生硬", "w02", staff_id),
            actor="desk",
            now=local(DAY16, "15:00"),
            tz=TZ,
            is_workday=hd.is_workday,
        )
        complaints.act(engine, taken.id, "investigate", "office", local(DAY16, "15:10"))
        complaints.act(
            engine,
            taken.id,
            "answer",
            "office",
            local(DAY16, "16:00"),
            note="已核实并答复",
            finding=finding,
            told_how="phone",
        )

    # DUTY-5: the month's assessment, frozen when the attendance month closes
    first = office.get("/api/duty/demo/assessment", params={"month": "2026-12"}).json()
    assert first["frozen"] is False
    staff = {a["subject"]: a for a in first["staff"]}
    assert {i["key"] for i in staff["S901"]["items"]} >= {"violation", "dissatisfied"}
    said = [i for i in staff["S901"]["items"] if i["key"] == "complaint"]
    assert [(i["count"], i["points"], i["rule"]) for i in said] == [(1, -2, "DUTY-6")]
    assert not any(i["key"] == "complaint" for i in staff["S021"]["items"])  # unfounded
    w02 = next(w for w in first["windows"] if w["subject"] == "w02")
    assert [i["count"] for i in w02["items"] if i["key"] == "complaint"] == [1]
    missed = [a for a in first["staff"] if any(i["key"] == "check_missed" for i in a["items"])]
    late_ack = [
        a for a in first["staff"] if any(i["key"] == "opening_unacknowledged" for i in a["items"])
    ]
    assert len(missed) == 1 and len(late_ack) == 1  # the seeded missed check and late ack
    assert {w["subject"] for w in first["windows"]} == {w.id for w in HALL.windows}
    clock.at = datetime(2027, 1, 1, 9, 0, tzinfo=TZ)  # a month closes once it is over (ATT-8)
    closed = office.post("/api/attendance/months/2026-12/close", json={"why": "月结"})
    assert closed.status_code == 200, closed.text
    with engine.connect() as conn:  # closing re-judged the month: still only rostered days
        rejudged = {
            (s, d) for s, d in conn.execute(sa.select(DAY.c.staff_id, DAY.c.day).distinct())
        }
    assert rejudged <= expected and ("S905", DAY16) in rejudged
    frozen = office.get("/api/duty/demo/assessment", params={"month": "2026-12"}).json()
    assert frozen["frozen"] is True
    with engine.begin() as conn:  # a late fact does not change a frozen month
        conn.execute(sa.text("delete from duty_log"))
    assert office.get("/api/duty/demo/assessment", params={"month": "2026-12"}).json() == frozen
    xlsx = office.get("/api/duty/demo/assessment", params={"month": "2026-12", "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    weekly = office.get("/api/duty/demo/weekly", params={"week": "2026-12-14"}).json()
    wednesday = next(d for d in weekly["days"] if d["day"] == DAY16.isoformat())
    assert wednesday["checks_done"] == 2 and wednesday["acknowledged_at"]
