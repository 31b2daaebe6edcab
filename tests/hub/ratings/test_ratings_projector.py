"""RatingProjector, follow-up desk, reports and the /api/ratings routes on SQLite and PostgreSQL:
queue changes -> ShowServing, Rating events -> bound ratings or refusals, alerts, follow-ups."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from hub.api.app import create_app
from hub.commands import RecordingSender
from hub.compliance.tables import SeatAssignment
from hub.events.tables import Event
from hub.ingest.hooks import IngestBatch
from hub.queue.service import QueueProjector
from hub.ratings import reports
from hub.ratings.api import router
from hub.ratings.followup import RatingWatcher, act, check_overdue
from hub.ratings.projector import RatingProjector
from hub.staff.tables import Staff
from models.commands import ShowServing
from models.envelope import Envelope, make_envelope
from models.events import Punch, Rating
from models.layout import Device, load_hall

TZ = ZoneInfo("Asia/Shanghai")
DEMO = load_hall(Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo")
FACE = Device(id="w01-face", kind="face_terminal", node="pi-w01", window="w01")
HALL = DEMO.model_copy(update={"devices": [*DEMO.devices, FACE]})
FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)


class Clock:
    """A settable hub clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Rig:
    """The demo hall's queue and ratings on one database, with staff on their seats."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.clock = Clock(FRIDAY)
        self.sender = RecordingSender()
        self.queue = QueueProjector(engine, self.sender, HALL, clock=self.clock)
        self.ratings = RatingProjector(engine, self.sender, HALL, clock=self.clock)
        self.seq = 0
        with engine.begin() as conn:
            for sid, name in (("S0012", "王芳"), ("S0013", "李强")):
                conn.execute(
                    sa.insert(Staff.__table__).values(  # type: ignore[attr-defined]
                        staff_id=sid,
                        hall=HALL.id,
                        name=name,
                        unit="",
                        active=True,
                        created_at=FRIDAY,
                    )
                )
            conn.execute(
                sa.insert(SeatAssignment.__table__).values(  # type: ignore[attr-defined]
                    hall=HALL.id, seat="w01-a", window="w01", staff_id="S0012", role="A"
                )
            )

    def serve(self, window: str = "w01") -> str:
        out = self.queue.issue("social")
        ticket = out.events[-1].ticket
        assert ticket is not None
        self.queue.act(window, "next")
        self.ratings.sync_queue()
        return ticket

    def rate(
        self, ticket: str | None, level: int | None, shown: str | None = "S0012", **extra: Any
    ) -> Envelope:
        self.seq += 1
        env = make_envelope(
            hall=HALL.id,
            device="w01-rate",
            seq=self.seq,
            ts=self.clock.now,
            synced=True,
            body=Rating(seat="w01-a", ticket=ticket, shown_staff_id=shown, level=level, **extra),
        )
        self.ratings.project(self.engine, IngestBatch(events=(env,)))
        return env

    def punch(self, staff: str) -> None:
        with self.engine.begin() as conn:
            body = Punch(staff_id=staff, distance=0.3, liveness={"passed": True})
            conn.execute(
                sa.insert(Event.__table__).values(  # type: ignore[attr-defined]
                    event_id=f"01PUNCH{staff}{self.seq:012d}"[:26],
                    hall=HALL.id,
                    device="w01-face",
                    seq=self.seq,
                    type="punch",
                    device_ts=self.clock.now.astimezone(UTC),
                    ts_offset_min=480,
                    synced=True,
                    received_at=self.clock.now.astimezone(UTC),
                    body=body.model_dump_json(),
                )
            )

    def rows(self, table: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            t = SQLModel.metadata.tables[table]
            return [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(t.c.id))]

    def shows(self) -> list[ShowServing]:
        return [
            b for _h, d, b in self.sender.sent if d == "w01-rate" and isinstance(b, ShowServing)
        ]


@pytest.fixture
def rig(engine: Engine) -> Rig:
    return Rig(engine)


def test_called_ticket_is_shown_with_the_staff_on_post(rig: Rig) -> None:
    # rule RATE-2: the device shows the name and number of who is on post, and the ticket
    ticket = rig.serve()
    assert rig.shows()[-1] == ShowServing(
        seat="w01-a", staff_id="S0012", name="王芳", ticket=ticket
    )
    rig.queue.act("w01", "start")  # service starts: shown again (who is on post now)
    assert rig.ratings.sync_queue() == 1 and rig.shows()[-1].ticket == ticket
    rig.queue.act("w01", "finish")
    rig.ratings.sync_queue()
    assert rig.shows()[-1].ticket is None  # the device now asks for the rating
    rig.punch("S0013")  # 李强 takes the window over: his face punch at its terminal
    rig.serve()
    assert rig.shows()[-1].staff_id == "S0013" and rig.shows()[-1].name == "李强"


def test_one_rating_per_service_and_refusals_with_reasons(rig: Rig) -> None:
    # rule RATE-1 (一次一评); nothing lost: refused events kept with their reason
    ticket = rig.serve()
    rig.rate(ticket, 4)
    rig.rate(ticket, 1)  # a second press for the same service
    rig.rate(None, 5)  # a press with no service in progress
    rig.rate("A999", 5)  # a ticket never called here
    rig.rate(ticket, 4)  # another press with the same level: a new event, still a duplicate
    again = rig.rows("rating")[0]["event_id"]
    env = rig.rate(ticket, 4)
    assert rig.ratings.record(env) is None  # the same envelope again (ingest redelivery)
    assert again != env.id
    ratings = rig.rows("rating")
    assert len(ratings) == 1
    r = ratings[0]
    assert (r["ticket"], r["staff_id"], r["level"], r["service"], r["mismatch"]) == (
        ticket,
        "S0012",
        4,
        "social",
        False,
    )
    codes = [x["code"] for x in rig.rows("rating_refusal")]
    assert codes == ["duplicate", "no_service", "unknown_service", "duplicate", "duplicate"]
    assert rig.rows("rating_followup") == [] and rig.rows("rating_alert") == []


def test_mismatch_alert_and_followup_with_workday_deadlines(rig: Rig) -> None:
    # rule RATE-2, RATE-3
    ticket = rig.serve()
    rig.punch("S0013")  # someone else is actually at the window
    rig.rate(ticket, 1, shown="S0012", reason="attitude", dimensions={"attitude": 1})
    (r,) = rig.rows("rating")
    assert (r["staff_id"], r["shown_staff_id"], r["present_source"], r["mismatch"]) == (
        "S0013",
        "S0012",
        "punch",
        True,
    )
    (alert,) = rig.rows("rating_alert")
    assert alert["kind"] == "staff_mismatch" and alert["rule"] == "RATE-2"
    assert "device showed S0012, S0013 is on post" in alert["text"]
    (task,) = rig.rows("rating_followup")
    assert task["state"] == "open" and task["staff_id"] == "S0013" and task["reason"] == "attitude"
    # Friday rating: contact by the end of Monday, resolved by the end of next Friday
    assert (task["contact_due"]) == datetime(2026, 11, 24, tzinfo=TZ)
    assert (task["resolve_due"]) == datetime(2026, 11, 28, tzinfo=TZ)
    assert check_overdue(rig.engine, datetime(2026, 11, 23, 18, tzinfo=TZ)) == 0
    assert check_overdue(rig.engine, datetime(2026, 11, 24, 9, tzinfo=TZ)) == 1
    assert check_overdue(rig.engine, datetime(2026, 11, 24, 10, tzinfo=TZ)) == 0  # once
    kinds = [a["kind"] for a in rig.rows("rating_alert")]
    assert kinds == ["staff_mismatch", "contact_overdue"]
    done = act(rig.engine, task["id"], "assign", "office", FRIDAY, assignee="zhang")
    assert done["state"] == "assigned" and done["assignee"] == "zhang"
    act(rig.engine, task["id"], "contacted", "zhang", FRIDAY, note="phoned")
    act(rig.engine, task["id"], "resolved", "zhang", FRIDAY, note="apologised")
    final = act(rig.engine, task["id"], "audited", "supervisor", FRIDAY)
    assert final["state"] == "audited" and final["outcome"] == "apologised"
    assert [x["action"] for x in final["log"]] == [
        "open",
        "assign",
        "contacted",
        "resolved",
        "audited",
    ]
    assert check_overdue(rig.engine, datetime(2026, 12, 30, tzinfo=TZ)) == 0


def test_not_rated_counts_and_reports_and_export(rig: Rig) -> None:
    # rule RATE-4
    for level in (5, 4, None, 2):
        ticket = rig.serve()
        rig.rate(ticket, level)
    day = FRIDAY.date()
    (by_staff,) = reports.stats(rig.engine, HALL.id, day, day, "staff")
    assert (by_staff["key"], by_staff["name"], by_staff["total"], by_staff["rated"]) == (
        "S0012",
        "王芳",
        4,
        3,
    )
    assert by_staff["index"] == 66.7 and by_staff["share5"] == 0.3333
    (month,) = reports.stats(rig.engine, HALL.id, day, day, "month")
    assert month["key"] == "2026-11"
    text = reports.export(rig.engine, HALL.id, day, day, "csv", "ratings").decode("utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(text)))
    assert [x["level"] for x in lines] == ["5", "4", "", "2"]
    wb = load_workbook(io.BytesIO(reports.export(rig.engine, HALL.id, day, day, "xlsx", "stats")))
    assert wb.sheetnames == ["staff", "window", "service", "month"]
    assert wb["window"]["B2"].value == "w01"
    stars = reports.stars(rig.engine, HALL.id, "2026Q4")
    assert stars[0]["staff_id"] == "S0012" and stars[0]["eligible"] is False  # too few


@pytest.fixture
def api(rig: Rig) -> Iterator[tuple[str, Rig]]:
    app = create_app(engine=rig.engine, halls=[HALL], routers=[router], clock=rig.clock, auth=False)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    sock = config.bind_socket()
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", rig
    server.should_exit = True
    thread.join(timeout=10)


def test_api(api: tuple[str, Rig]) -> None:
    # rule RATE-3, RATE-4; refusals visible
    url, rig = api
    ticket = rig.serve()
    rig.rate(ticket, 2, reason="slow")
    rig.rate(ticket, 5)
    with httpx.Client(base_url=url, timeout=10) as c:
        day = FRIDAY.date().isoformat()
        (r,) = c.get("/api/ratings", params={"start": day}).json()
        assert r["ticket"] == ticket and r["level"] == 2
        (ref,) = c.get("/api/ratings/refusals").json()
        assert ref["code"] == "duplicate"
        (task,) = c.get("/api/ratings/followups", params={"state": "open"}).json()
        bad = c.post(f"/api/ratings/followups/{task['id']}/resolved", json={"actor": "x"})
        assert bad.status_code == 409 and "cannot mark resolved" in bad.text
        ok = c.post(
            f"/api/ratings/followups/{task['id']}/assign",
            json={"actor": "office", "assignee": "zhang"},
        )
        assert ok.status_code == 200 and ok.json()["state"] == "assigned"
        assert c.get(f"/api/ratings/followups/{task['id']}").json()["log"][1]["actor"] == "office"
        assert c.get("/api/ratings/followups/999").status_code == 404
        stats = c.get("/api/ratings/stats", params={"by": "window", "start": day}).json()
        assert stats[0]["key"] == "w01" and stats[0]["index"] == 25.0
        stars = c.get("/api/ratings/service-star").json()
        assert stars[0]["staff_id"] == "S0012" and stars[0]["quarter"] == "2026Q4"
        csv_resp = c.get("/api/ratings/export", params={"format": "csv", "start": day})
        assert csv_resp.headers["content-type"].startswith("text/csv") and ticket in csv_resp.text
        xlsx = c.get(
            "/api/ratings/export", params={"format": "xlsx", "what": "stats", "start": day}
        )
        assert load_workbook(io.BytesIO(xlsx.content))["staff"]["B2"].value == "S0012"
        assert c.get("/api/ratings/settings").json()["contact_days"] == 1
        put = c.put("/api/ratings/settings", json={"contact_days": 2, "resolve_days": 7})
        assert put.status_code == 200
        assert c.get("/api/ratings/settings").json()["resolve_days"] == 7
        assert c.put("/api/ratings/settings", json={"bogus": 1}).status_code == 422
    # the new per-hall setting applies to the next follow-up
    rig.clock.now = FRIDAY + timedelta(minutes=5)
    t2 = rig.serve()
    rig.rate(t2, 1)
    task2 = rig.rows("rating_followup")[-1]
    assert (task2["contact_due"]) == datetime(2026, 11, 25, tzinfo=TZ)
    json.dumps(rig.rows("rating_alert"), default=str)


def test_watcher_shows_api_queue_changes(sqlite_engine: Engine) -> None:
    rig = Rig(sqlite_engine)
    watcher = RatingWatcher(sqlite_engine, [rig.ratings], rig.clock, poll_s=0.05).start()
    try:
        rig.queue.issue("social")
        rig.queue.act("w01", "next")  # through the API path: no ingest batch
        deadline = time.monotonic() + 5
        while not rig.shows() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert rig.shows() and rig.shows()[-1].ticket is not None
    finally:
        watcher.stop()
        watcher.stop()
