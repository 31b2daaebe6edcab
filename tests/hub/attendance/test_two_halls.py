"""A hub serving two halls with different attendance policies and a window id in common (both
have a w02): each staff member's day is judged by their own hall's policy, live and when the area
is reprojected (rules ATT-1, ATT-2, ATT-3), and each hall's month report holds only its own staff
and windows (rule ATT-8); on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.api.errors import install_error_handlers
from hub.areas import AreaContext, load_areas
from hub.attendance.projector import AttendanceProjector
from hub.attendance.store import DAY, read_days
from hub.attendance.workflow import AttendanceWorkflow
from hub.commands import RecordingSender
from hub.ingest.hooks import IngestBatch
from hub.ingest.pipeline import handle_batch
from hub.ingest.reproject import reproject
from models.envelope import Envelope, make_envelope
from models.events import Liveness, Punch
from models.topics import Channel, build_topic
from tests.hub.attendance.dbhelpers import add_staff
from tests.hub.duty.support import HALL, TZ

# The demo hall keeps wenshang-2021 (arrive by 08:30, no grace, rule ATT-2); the east hall
# hall-2015 (08:00 with 15 minutes' grace, rule ATT-3). Both have a window w02.
EAST = HALL.model_copy(
    update={"id": "east", "name": "东区便民服务大厅", "attendance_policy": "hall-2015"}
)
DAY_ = date(2025, 6, 3)  # a Tuesday
AT = datetime(2025, 6, 3, 8, 20, tzinfo=TZ)  # on time in the demo hall, late in the east hall
LATER = datetime(2025, 7, 10, tzinfo=UTC)  # the hub's clock: June is over


def setup_hub(engine: Engine) -> AttendanceProjector:
    """The attendance area of a hub serving the demo hall first and the east hall, each with
    staff at its own w02."""
    return area(engine)[0]


def area(engine: Engine) -> tuple[AttendanceProjector, APIRouter]:
    """The area's projector and API router (the staff added first)."""
    add_staff(engine, ("S021", "social", "w02"), hall=HALL.id)
    add_staff(engine, ("E021", "tax", "w02"), ("E022", "tax", "w02"), hall=EAST.id)
    ctx = AreaContext(engine, [HALL, EAST], RecordingSender(), clock=lambda: LATER)
    (part,) = load_areas(ctx, ["hub.attendance.area"])
    (projector,) = part.projectors
    assert isinstance(projector, AttendanceProjector)
    return projector, part.routers[0]


def punches() -> list[Envelope]:
    """Each hall's staff punch at 08:20 at their own hall's face terminal."""
    return [
        make_envelope(
            hall=hall,
            device="w02-face",
            seq=n,
            ts=AT + timedelta(seconds=n),
            synced=True,
            body=Punch(staff_id=staff, distance=0.3, liveness=Liveness(passed=True)),
        )
        for n, (hall, staff) in enumerate(
            ((HALL.id, "S021"), (EAST.id, "E021"), (EAST.id, "E022")), start=1
        )
    ]


def arrivals(engine: Engine) -> dict[str, tuple[str, int]]:
    """Each staff member's morning arrival as stored: (status, minutes)."""
    with engine.connect() as conn:
        rows = read_days(conn, DAY_, DAY_)
    return {r["staff_id"]: (r["status"], r["minutes"]) for r in rows if r["checkpoint"] == "AM_IN"}


def stored(engine: Engine) -> list[tuple[Any, ...]]:
    """Every judged row."""
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.select(DAY)))


def test_each_staff_member_is_judged_by_their_own_halls_policy(engine: Engine) -> None:
    """Rules ATT-2, ATT-3: 08:20 is on time by the demo hall's wenshang-2021 (08:30) and late by
    the east hall's hall-2015 (08:00, 15 minutes' grace: 20 minutes late). Before, every hall's
    staff were judged by the first hall's policy and the east hall's lates were on time."""
    projector = setup_hub(engine)
    projector.project(engine, IngestBatch(events=punches()))
    assert arrivals(engine) == {"S021": ("ok", 0), "E021": ("late", 20), "E022": ("late", 20)}


def test_imported_punches_are_judged_by_the_staff_members_hall(engine: Engine) -> None:
    """Rule ATT-3 for imports (no terminal): the staff member's hall decides, as it decides the
    punch's hall (1d1cfe2)."""
    from hub.attendance.engine import PunchFact

    projector = setup_hub(engine)
    projector.rejudge_punches(engine, [PunchFact("E021", AT), PunchFact("S021", AT)])
    assert arrivals(engine) == {"S021": ("ok", 0), "E021": ("late", 20)}


def test_a_reproject_judges_as_the_live_projector_did(engine: Engine) -> None:
    """`hallkeeper hub reproject --area attendance` replays the stored punches through the same
    projector: the same verdicts for both halls (before, it judged the east hall by the demo
    hall's policy as the live path did), and a second run changes nothing."""
    projector = setup_hub(engine)
    envs = punches()
    messages = [(build_topic(e.hall, e.device, Channel.EVT), e.to_json()) for e in envs]
    handle_batch(engine, messages, AT, give_up=bool)  # stored as facts, no projector ran
    projector.project(engine, IngestBatch(events=envs))
    live = stored(engine)
    assert arrivals(engine)["E021"] == ("late", 20)
    with engine.begin() as conn:
        conn.execute(sa.delete(DAY))  # as if judged by an older rule
    report = rebuild(engine)
    assert (report.facts, report.failed) == (3, 0)
    assert stored(engine) == live
    assert not rebuild(engine).changed


def rebuild(engine: Engine) -> Any:
    """The area rebuilt as `hub reproject` does, with a new hub's projectors."""
    ctx = AreaContext(engine, [HALL, EAST], RecordingSender(), clock=lambda: LATER)
    projectors: Sequence[Any] = [
        p for part in load_areas(ctx, ["hub.attendance.area"]) for p in part.projectors
    ]
    return reproject(engine, "attendance", projectors)


def client(engine: Engine, router: APIRouter) -> TestClient:
    """The attendance API of the hub, its refusals worded as the hub words them."""
    app = FastAPI()
    app.state.engine = engine
    app.state.halls = [HALL, EAST]
    install_error_handlers(app)
    app.include_router(router)
    return TestClient(app)


def windows(c: TestClient, **params: str) -> list[tuple[str, str, int, int]]:
    """The June report per window: (hall, window, staff, lates)."""
    r = c.get("/api/attendance/report/2025-06", params={"by": "window", **params})
    assert r.status_code == 200, r.text
    return [(w.get("hall", ""), w["staff_id"], w["staff"], w["late"]) for w in r.json()["rows"]]


def test_each_halls_month_report_holds_its_own_staff_and_windows(engine: Engine) -> None:
    """Rule ATT-8: the east hall's June holds its two w02 staff and their lates, by hall-2015;
    the demo hall's its one w02 staff member, by wenshang-2021 (before, both halls' w02 were one
    window of three staff, judged by the first hall's policy); the same once June is closed
    (stored rows), in the CSV and the duty chief's day list; a hall not served is refused."""
    projector, router = area(engine)
    projector.project(engine, IngestBatch(events=punches()))
    c = client(engine, router)
    for closed in (False, True):
        assert windows(c, hall=EAST.id) == [(EAST.id, "w02", 2, 2)], closed
        assert windows(c, hall=HALL.id) == [(HALL.id, "w02", 1, 0)]
        assert windows(c) == [(HALL.id, "w02", 1, 0)]  # the first hall's
        east = c.get("/api/attendance/report/2025-06", params={"hall": EAST.id}).json()
        assert (east["hall"], east["policy"]) == (EAST.id, "hall-2015")
        assert sorted(r["staff_id"] for r in east["rows"]) == ["E021", "E022"]
        csv = c.get("/api/attendance/report/2025-06", params={"hall": EAST.id, "format": "csv"})
        assert len(csv.text.strip().splitlines()) == 3  # the heading and E021, E022
        assert "S021" not in csv.text
        day = c.get("/api/attendance/day-list/2025-06-03", params={"hall": EAST.id}).json()
        assert [(p["staff_id"], p["checkpoints"][0]["status"]) for p in day] == [
            ("E021", "late"),
            ("E022", "late"),
        ]
        wf = AttendanceWorkflow(engine, projector, clock=lambda: LATER)
        if not closed:
            wf.close_month(actor="office", month="2025-06", why="月末")  # rule ATT-8: frozen
            assert arrivals(engine) == {
                "S021": ("ok", 0),
                "E021": ("late", 20),
                "E022": ("late", 20),
            }
    r = c.get("/api/attendance/report/2025-06", params={"hall": "west"})
    assert (r.status_code, r.json()["code"]) == (404, "error.unknown_hall"), r.text
    assert "west" not in r.text


def test_one_halls_roster_does_not_speak_for_the_other_halls_staff(engine: Engine) -> None:
    """DUTY-1: the demo hall files June's roster; the east hall files none, so its staff are
    expected on their workdays as before and their punches judged (before, any hall's roster
    made every hall's month 'rostered' and the east hall's staff, on no demo roster, were not
    judged at all) and they keep their staff list's window."""
    from hub.attendance.reports import roster_info
    from hub.duty.demo_roster import month_roster
    from hub.duty.roster_store import file_roster
    from hub.duty.seam import roster_seats
    from tests.hub.duty.support import HD

    projector = setup_hub(engine)
    with engine.begin() as conn:
        entries = month_roster(HALL, "2025-06", HD.is_workday)
        now = datetime(2025, 5, 25, 9, 0, tzinfo=TZ)
        file_roster(conn, HD, "2025-06", entries, actor="office", now=now, source="demo")
    projector.project(engine, IngestBatch(events=punches()))
    assert arrivals(engine)["E021"] == ("late", 20)
    info = roster_info(engine, DAY_, roster_seats([HALL, EAST]))
    assert (info["E021"]["window"], info["E022"]["window"]) == ("w02", "w02")


def test_the_dashboards_attendance_page_shows_one_hall(sqlite_engine: Engine) -> None:
    """Rule ATT-8 on the attendance page: ?hall=east lists the east hall's staff, late by its
    hall-2015, and its month; the default is the first hall's; the exports follow the hall."""
    import re

    from hub.users.accounts import Role
    from tests.hub.dashboard.conftest import form_login
    from tests.support.auth import PASSWORD, full_app, make_user

    app = full_app(sqlite_engine, clock=lambda: LATER, more=[EAST])
    add_staff(sqlite_engine, ("S021", "social", "w02"), hall=HALL.id)
    add_staff(sqlite_engine, ("E021", "tax", "w02"), ("E022", "tax", "w02"), hall=EAST.id)
    for projector in app.state.projectors:
        projector.project(sqlite_engine, IngestBatch(events=punches()))
    viewer = TestClient(app, follow_redirects=False)
    assert form_login(viewer, make_user(sqlite_engine, "u-viewer", Role.VIEWER), PASSWORD)
    east = viewer.get("/attendance", params={"day": "2025-06-03", "hall": EAST.id}).text
    assert re.findall(r'<tr id="day-(\w+)">', east) == ["E021", "E022"]
    assert re.findall(r'<tr id="month-(\w+)">', east) == ["E021", "E022"]
    e021 = re.search(r'<tr id="day-E021">.*?</tr>', east, re.S).group(0)  # type: ignore[union-attr]
    assert "迟到" in e021
    assert "format=csv&amp;hall=east" in east or "format=csv&hall=east" in east
    first = viewer.get("/attendance", params={"day": "2025-06-03"}).text
    assert re.findall(r'<tr id="day-(\w+)">', first) == ["S021"]
    assert viewer.get("/attendance", params={"hall": "west"}).status_code == 404


def test_a_correction_is_filed_by_the_staff_members_halls_deadline(
    engine: Engine, tmp_path: Path
) -> None:
    """Rule ATT-6: the east hall's own policy gives 10 days to file a correction; the demo
    hall's wenshang-2021 gives 2. Five days after, E021's correction is taken and S021's refused
    (before, both were held to the first hall's 2 days)."""
    from hub.attendance.checks import FieldError

    text = (Path(__file__).parents[3] / "hub/attendance/presets/hall-2015.toml").read_text()
    own = tmp_path / "east.toml"
    own.write_text(text.replace("correction_days = 2 ", "correction_days = 10 "), "utf-8")
    east = EAST.model_copy(update={"attendance_policy": str(own)})
    add_staff(engine, ("S021", "social", "w02"), hall=HALL.id)
    add_staff(engine, ("E021", "tax", "w02"), hall=EAST.id)
    ctx = AreaContext(engine, [HALL, east], RecordingSender(), clock=lambda: LATER)
    (part,) = load_areas(ctx, ["hub.attendance.area"])
    (projector,) = part.projectors
    assert isinstance(projector, AttendanceProjector)
    wf = AttendanceWorkflow(engine, projector, clock=lambda: AT + timedelta(days=5))
    fix = {"actor": "office", "at": AT, "reason": "设备故障", "checkpoint": "AM_IN"}
    assert wf.file_correction(staff_id="E021", **fix) > 0  # type: ignore[arg-type]
    with pytest.raises(FieldError) as refused:
        wf.file_correction(staff_id="S021", **fix)  # type: ignore[arg-type]
    assert refused.value.key == "att.err.correction_late"
