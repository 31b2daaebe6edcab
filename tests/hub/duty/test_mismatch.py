"""Rule RATE-2, the attacks and faults an office expects of the ledger mismatch alert (a face at a
window's terminal that is not the ledger's holder): a stand-in seen at the seat raises one alert
naming the seat, the holder and the person seen, in the catalogue's Chinese words; the watch's
next rounds and throttle ticks do not repeat it; two faces found by one throttled round, or a
face from a terminal lagging the hub, are each told; after a change of holder a new face is
raised again naming the new holder; the holder seen back at the seat closes it; a face before
08:00 hall time (before midnight UTC) is in the hall's day. Each on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.commands import RecordingSender
from hub.duty.alerts import DutyAlert
from hub.duty.ledger import FlagKind
from hub.duty.ledger_store import hall_duty, ledger_day
from hub.duty.watch import SeatWatch
from hub.fleet import alerts as desk
from hub.fleet.tables import Alert
from hub.ingest.hooks import IngestBatch
from hub.staff.tables import Staff
from models.envelope import make_envelope
from models.events import Liveness, Punch
from models.layout import Device
from tests.hub.duty.support import HALL as DEMO
from tests.hub.duty.support import Clock, add_punches, file_demo_roster, local, seed_people
from tests.support.waiting import wait_until

MONDAY = date(2026, 12, 7)
FACE = Device(id="w02-face", kind="face_terminal", node="pi-w02", window="w02")
HALL = DEMO.model_copy(update={"devices": [*DEMO.devices, FACE]})
Rig = tuple[Engine, SeatWatch, Clock]


@pytest.fixture
def rig(engine: Engine) -> Rig:
    """The demo hall with w02's face terminal, on SQLite and PostgreSQL."""
    seed_people(engine)
    file_demo_roster(engine)
    clock = Clock(local(MONDAY, "08:31"))
    return engine, SeatWatch([HALL], RecordingSender(), clock, min_interval_s=0.2), clock


def faces(engine: Engine, *seen: tuple[str, str]) -> None:
    """Faces at w02's terminal: (staff, hh:mm[:ss]) on MONDAY."""
    add_punches(engine, [(s, local(MONDAY, t)) for s, t in seen], device=FACE.id)


def alerts(engine: Engine) -> list[Alert]:
    with Session(engine) as s:
        q = select(Alert).where(Alert.kind == DutyAlert.LEDGER_MISMATCH)
        return list(s.exec(q).all())


def named(engine: Engine, staff: str) -> str:
    """How an alert names a staff member: name and number."""
    with Session(engine) as s:
        person = s.get(Staff, staff)
    assert person is not None
    return f"{person.name} {staff}"


def test_a_face_before_eight_hall_time_is_in_the_day(engine: Engine) -> None:
    """07:50 in Shanghai is 23:50 UTC the day before: the ledger's facts are bound in UTC (a
    hall-local bound compared as text on SQLite cut the day's first eight hours out)."""
    seed_people(engine)
    file_demo_roster(engine)
    faces(engine, ("S011", "07:50"))
    with engine.connect() as conn:
        ledger = ledger_day(conn, hall_duty(HALL), MONDAY)
    (flag,) = [f for f in ledger.flags if f.kind is FlagKind.FACE_MISMATCH]
    assert (flag.seat, flag.staff_id, flag.expected, flag.start) == (
        "w02-a",
        "S011",
        "S021",  # before opening every rostered holder is expected (DUTY-1)
        local(MONDAY, "07:50"),
    )


def test_a_stand_in_at_the_seat_is_told_once_in_the_catalogues_words(rig: Rig) -> None:
    """S011 (w01's A holder) sits in at w02-a for S021, who holds it: one alert naming the
    seat, the holder and the person seen; the throttle's ticks that follow do not repeat it."""
    engine, watch, clock = rig
    add_punches(engine, [("S021", local(MONDAY, "08:20")), ("S011", local(MONDAY, "08:22"))])
    faces(engine, ("S011", "09:00"))
    clock.at = local(MONDAY, "09:01")
    watch.sync(engine, HALL)
    (alert,) = alerts(engine)
    assert (alert.device, alert.rule, alert.staff_id, alert.state) == (
        "w02-a",
        "RATE-2",
        "S011",
        "open",
    )
    seen, holder = named(engine, "S011"), named(engine, "S021")
    assert (
        alert.message == f"RATE-2 w02-a：09:00 在岗位刷脸的是 {seen}，台账上的在岗人员是 {holder}"
    )
    assert alert.words == "alert_face_mismatch_seen"
    rounds = watch.syncs
    for n in range(30):  # facts every moment: the throttle's trailing rounds find it again
        watch.project(engine, entrance_punch(clock.at, n))
        if n % 10 == 9:
            wait_until(lambda r=rounds: watch.syncs > r, what="a trailing round")
            rounds = watch.syncs
    (alert,) = alerts(engine)
    assert (alert.state, alert.occurrences) == ("open", 1)


def entrance_punch(at: datetime, n: int) -> IngestBatch:
    """A punch at the hall's entrance (a fact the seat watch re-reads the hall for)."""
    body = Punch(staff_id="S011", distance=0.3, liveness=Liveness(passed=True))
    env = make_envelope(hall=HALL.id, device="ent-face1", seq=n, ts=at, synced=True, body=body)
    return IngestBatch(events=[env])


def test_two_faces_in_one_round_and_a_lagging_terminal_are_each_told(rig: Rig) -> None:
    """A throttled round finds two strangers at once: both counted (the alert's words name the
    later); a terminal whose face arrives after the hub raised the alert is still told."""
    engine, watch, clock = rig
    add_punches(engine, [("S021", local(MONDAY, "08:20"))])
    faces(engine, ("S011", "09:00:10"), ("S031", "09:00:20"))
    clock.at = local(MONDAY, "09:05")
    watch.sync(engine, HALL)
    (alert,) = alerts(engine)
    assert (alert.occurrences, alert.staff_id) == (2, "S011")  # the incident's first face
    assert named(engine, "S031") in alert.message  # its words: the latest
    faces(engine, ("S041", "09:00:40"))  # seen before the hub's 09:05, delivered after it
    clock.at = local(MONDAY, "09:06")
    watch.sync(engine, HALL)
    watch.sync(engine, HALL)
    (alert,) = alerts(engine)
    assert alert.occurrences == 3 and named(engine, "S041") in alert.message


def test_after_a_change_of_holder_a_new_face_is_raised_again(rig: Rig) -> None:
    """B holds w02-a while A has not arrived (POST-7): S011 seen names B; the operator resolves
    it; A arrives and holds; S011 seen again re-opens it naming A."""
    engine, watch, clock = rig
    add_punches(engine, [("S901", local(MONDAY, "08:10"))])
    faces(engine, ("S011", "08:40"))
    clock.at = local(MONDAY, "08:41")
    watch.sync(engine, HALL)
    (alert,) = alerts(engine)
    assert named(engine, "S901") in alert.message
    with Session(engine) as s:
        desk.resolve(s, alert.id or 0, actor="chief", comment="已提醒", now=clock.at)
        s.commit()
    add_punches(engine, [("S021", local(MONDAY, "08:50"))])  # A arrives: the seat is A's
    clock.at = local(MONDAY, "08:51")
    watch.sync(engine, HALL)
    (alert,) = alerts(engine)
    assert alert.state == "resolved"  # the same face, found again: left as the operator left it
    faces(engine, ("S011", "09:10"))
    clock.at = local(MONDAY, "09:11")
    watch.sync(engine, HALL)
    (alert,) = alerts(engine)
    assert (alert.state, alert.occurrences, alert.reopened) == ("open", 2, 1)
    assert named(engine, "S021") in alert.message and named(engine, "S901") not in alert.message


def test_the_holder_seen_back_at_the_seat_closes_it(rig: Rig) -> None:
    """S021 holds; S011 seen at 09:00 opens the alert; S021's own face at 09:05 closes it (by
    the hub, noted); the next rounds leave it closed; S011 again at 09:20 re-opens it."""
    engine, watch, clock = rig
    add_punches(engine, [("S021", local(MONDAY, "08:20"))])
    faces(engine, ("S011", "09:00"))
    clock.at = local(MONDAY, "09:01")
    watch.sync(engine, HALL)
    (alert,) = alerts(engine)
    assert alert.state == "open"
    faces(engine, ("S021", "09:05"))
    clock.at = local(MONDAY, "09:06")
    for _ in range(3):
        watch.sync(engine, HALL)
        clock.at += timedelta(minutes=1)
    (alert,) = alerts(engine)
    assert (alert.state, alert.resolved_by, alert.occurrences) == ("resolved", "auto", 1)
    with Session(engine) as s:
        assert [n.action for n in desk.notes(s, alert.id or 0)] == ["auto_resolve"]
    faces(engine, ("S011", "09:20"))
    clock.at = local(MONDAY, "09:21")
    watch.sync(engine, HALL)
    (alert,) = alerts(engine)
    assert (alert.state, alert.occurrences, alert.reopened) == ("open", 2, 1)


def test_a_face_older_than_an_hour_is_not_told(rig: Rig) -> None:
    """A hub started at 10:30 does not alert the 09:00 face (RATE-2 tells what is current)."""
    engine, watch, clock = rig
    add_punches(engine, [("S021", local(MONDAY, "08:20"))])
    faces(engine, ("S011", "09:00"))
    clock.at = local(MONDAY, "10:30")
    watch.sync(engine, HALL)
    assert alerts(engine) == []
    with engine.connect() as conn:  # the ledger still has it: the day's record is complete
        flags = ledger_day(conn, hall_duty(HALL), MONDAY).flags
    assert [f.staff_id for f in flags if f.kind is FlagKind.FACE_MISMATCH] == ["S011"]
