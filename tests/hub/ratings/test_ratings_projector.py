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
from hub.attendance.calendar import WorkCalendar
from hub.attendance.tables import AttPunch
from hub.commands import RecordingSender
from hub.compliance.tables import CoverRow, SeatAssignment
from hub.contact_key import ContactKeyError
from hub.events.tables import Event
from hub.ingest.hooks import DeviceState, IngestBatch
from hub.queue.service import QueueProjector
from hub.ratings import reports
from hub.ratings.api import router
from hub.ratings.followup import act, check_overdue, followup, reveal_contact
from hub.ratings.followup_rules import FollowupError
from hub.ratings.projector import RatingProjector
from hub.ratings.watch import RatingWatcher
from hub.staff.tables import Staff
from models.commands import ShowServing
from models.contact import new_keypair, seal
from models.envelope import Envelope, make_envelope
from models.events import Punch, Rating
from models.layout import Device, load_hall

TZ = ZoneInfo("Asia/Shanghai")
DEMO = load_hall(Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo")
FACE = Device(id="w01-face", kind="face_terminal", node="pi-w01", window="w01")
HALL = DEMO.model_copy(update={"devices": [*DEMO.devices, FACE]})
FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)
CAL = WorkCalendar().is_workday


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


def test_called_ticket_is_shown_with_the_staff_on_post(rig: Rig) -> None:
    # rule RATE-2: the device shows the name and number of who is on post, and the ticket
    ticket = rig.serve()
    national = ["overall", "efficiency", "service_level", "attitude"]  # rule RATE-1
    assert rig.shows()[-1] == ShowServing(
        seat="w01-a", staff_id="S0012", name="王芳", ticket=ticket, dimensions=national
    )
    rig.queue.act("w01", "start")  # service starts: shown again (who is on post now)
    assert rig.ratings.sync_queue() == 1 and rig.shows()[-1].ticket == ticket
    rig.queue.act("w01", "finish")
    rig.ratings.sync_queue()
    assert rig.shows()[-1].ticket is None  # the device now asks for the rating
    rig.punch("S0013")  # 李强 takes the window over: his face punch at its terminal
    rig.serve()
    assert rig.shows()[-1].staff_id == "S0013" and rig.shows()[-1].name == "李强"


def test_a_rating_device_back_online_is_shown_who_serves_now(rig: Rig) -> None:
    # rule RATE-2: what was sent while the device was away is lost (commands are not kept for
    # a device); when its state comes back online it is shown the holder, the ticket its window
    # serves and the hall's dimensions (RATE-1) again
    ticket = rig.serve()
    national = ["overall", "efficiency", "service_level", "attitude"]
    sent = len(rig.shows())
    at = rig.clock.now
    back = DeviceState(hall=HALL.id, device="w01-rate", online=True, received_at=at)
    rig.ratings.project(rig.engine, IngestBatch(states=(back,)))
    assert len(rig.shows()) == sent + 1
    assert rig.shows()[-1] == ShowServing(
        seat="w01-a", staff_id="S0012", name="王芳", ticket=ticket, dimensions=national
    )
    others = (
        DeviceState(hall=HALL.id, device="w01-rate", online=False, received_at=at),
        DeviceState(hall=HALL.id, device="w01-keypad", online=True, received_at=at),
        DeviceState(hall="elsewhere", device="w01-rate", online=True, received_at=at),
    )
    rig.ratings.project(rig.engine, IngestBatch(states=others))
    assert len(rig.shows()) == sent + 1  # gone, another kind, another hall: nothing sent
    rig.queue.act("w01", "finish")
    rig.ratings.sync_queue()
    rig.ratings.project(rig.engine, IngestBatch(states=(back,)))
    assert rig.shows()[-1].ticket is None and rig.shows()[-1].staff_id == "S0012"


def test_a_handover_in_the_post_ledger_outranks_a_morning_face(rig: Rig) -> None:
    # rule RATE-2: the rating goes to whom the post ledger has on the seat since the handover
    # (hub.duty: a cover, 顶岗), not to the face the window's terminal saw before it
    rig.punch("S0012")  # 王芳 at her window's terminal at 10:00
    with rig.engine.begin() as conn:
        conn.execute(
            sa.insert(CoverRow.__table__).values(  # type: ignore[attr-defined]
                hall=HALL.id,
                seat="w01-a",
                staff_id="S0012",
                cover_staff_id="S0013",
                start=(FRIDAY + timedelta(hours=1)).astimezone(UTC),
                end=(FRIDAY + timedelta(hours=3)).astimezone(UTC),
                reason="外出开会",
                status="approved",
                requested_at=FRIDAY.astimezone(UTC),
                approved_at=FRIDAY.astimezone(UTC),
                approved_by="chief",
            )
        )
        conn.execute(  # the cover clocked in at the entrance: seen at work (POST-6)
            sa.insert(AttPunch.__table__).values(  # type: ignore[attr-defined]
                staff_id="S0013",
                at=(FRIDAY - timedelta(hours=1)).astimezone(UTC),
                hall=HALL.id,
                device="ent-face1",
            )
        )
    rig.clock.now = FRIDAY + timedelta(hours=2)
    ticket = rig.serve()
    assert rig.shows()[-1].staff_id == "S0013"  # rule RATE-2: the device shows the cover
    rig.rate(ticket, 5, shown="S0013")
    (r,) = rig.rows("rating")
    assert (r["staff_id"], r["present_source"], r["mismatch"]) == ("S0013", "cover", False)
    rig.punch("S0012")  # 王芳 back at the window before the cover ends: her face wins
    rig.clock.now += timedelta(minutes=5)
    second = rig.serve()
    rig.rate(second, 4, shown="S0013")
    assert rig.rows("rating")[-1]["staff_id"] == "S0012"
    assert rig.rows("rating")[-1]["mismatch"] is True


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


def test_mismatch_alert_and_a_same_day_followup_through_its_steps(rig: Rig) -> None:
    # rule RATE-2, RATE-3
    ticket = rig.serve()
    rig.punch("S0013")  # someone else is actually at the window
    rig.rate(
        ticket,
        1,
        shown="S0012",
        reason="attitude",
        dimensions={"attitude": 1, "efficiency": 2, "service_level": 2},
    )
    (r,) = rig.rows("rating")
    assert (r["staff_id"], r["shown_staff_id"], r["present_source"], r["mismatch"]) == (
        "S0013",
        "S0012",
        "punch",
        True,
    )
    assert (r["attitude"], r["efficiency"], r["service_level"]) == (1, 2, 2)
    (alert,) = rig.rows("rating_alert")
    assert alert["kind"] == "staff_mismatch" and alert["rule"] == "RATE-2"
    assert "评价器显示 S0012，在岗 S0013" in alert["text"]
    (task,) = rig.rows("rating_followup")
    assert task["state"] == "open" and task["staff_id"] == "S0013" and task["reason"] == "attitude"
    # rule RATE-3: a Friday rating is contacted by the end of that Friday (即时回访)
    assert task["contact_due"] == datetime(2026, 11, 21, tzinfo=TZ)
    assert task["close_due"] == datetime(2026, 12, 5, tzinfo=TZ)  # 10 working days
    assert check_overdue(rig.engine, datetime(2026, 11, 20, 23, 59, tzinfo=TZ)) == 0
    assert check_overdue(rig.engine, datetime(2026, 11, 21, 0, 1, tzinfo=TZ)) == 1
    assert check_overdue(rig.engine, datetime(2026, 11, 21, 9, tzinfo=TZ)) == 0  # once
    kinds = [a["kind"] for a in rig.rows("rating_alert")]
    assert kinds == ["staff_mismatch", "contact_overdue"]
    assert "未在当日联系群众" in rig.rows("rating_alert")[-1]["text"]
    fid = task["id"]
    steps = rig.engine, fid
    done = act(*steps, "assign", "office", FRIDAY, assignee="zhang")
    assert done["state"] == "assigned" and done["assignee"] == "zhang"
    tried = act(*steps, "attempt", "zhang", FRIDAY, result="no_answer", note="9:40")
    assert tried["attempts"] == 1 and tried["state"] == "assigned"
    with pytest.raises(FollowupError, match="err_result"):
        act(*steps, "attempt", "zhang", FRIDAY, result="maybe")
    act(*steps, "contacted", "zhang", FRIDAY, note="phoned, the citizen explained")
    with pytest.raises(FollowupError, match="err_finding"):
        act(*steps, "verified", "zhang", FRIDAY)
    act(*steps, "verified", "zhang", FRIDAY, finding="substantiated", note="video checked")
    with pytest.raises(FollowupError, match="err_rectify_first"):
        act(*steps, "closed", "zhang", FRIDAY, note="x", told_how="phone")
    with pytest.raises(FollowupError, match="err_plan"):
        act(*steps, "rectify", "lead", FRIDAY)
    rect = act(*steps, "rectify", "lead", FRIDAY, note="服务礼仪培训", tz=TZ, is_workday=CAL)
    assert rect["rectify_due"] == datetime(2026, 11, 28, tzinfo=TZ)  # 5 working days
    assert check_overdue(rig.engine, datetime(2026, 11, 28, 1, tzinfo=TZ)) == 1
    act(*steps, "rectified", "lead", FRIDAY, note="trained")
    with pytest.raises(FollowupError, match="err_close"):
        act(*steps, "closed", "zhang", FRIDAY, note="已致歉")
    act(*steps, "closed", "zhang", FRIDAY, note="已致歉并说明整改", told_how="phone")
    final = act(*steps, "audited", "supervisor", FRIDAY)
    assert final["state"] == "audited" and final["outcome"] == "已致歉并说明整改"
    assert final["told_how"] == "phone" and final["finding"] == "substantiated"
    assert [x["action"] for x in final["log"]] == [
        "open",
        "assign",
        "attempt",
        "contacted",
        "verified",
        "rectify",
        "rectified",
        "closed",
        "audited",
    ]
    assert check_overdue(rig.engine, datetime(2026, 12, 30, tzinfo=TZ)) == 0


def test_case_number_binds_before_or_after_the_rating(rig: Rig) -> None:
    # rule RATE-1: bound to the ticket, the case (办件编号) and the staff member serving
    first = rig.serve()
    rig.queue.link_case(first, "SB-001")
    rig.rate(first, 5)
    second = rig.serve()
    rig.rate(second, 4)
    rig.queue.link_case(second, "SB-002")  # the window's system answers later
    rig.ratings.sync_queue()
    assert [(r["ticket"], r["case_no"], r["staff_id"]) for r in rig.rows("rating")] == [
        (first, "SB-001", "S0012"),
        (second, "SB-002", "S0012"),
    ]


def event_body(engine: Engine, event_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        t = Event.__table__  # type: ignore[attr-defined]
        body = conn.execute(sa.select(t.c.body).where(t.c.event_id == event_id)).scalar()
    return json.loads(body)


def store_fact(engine: Engine, env: Envelope) -> None:
    """Store the fact as ingest would before the projector sees it."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Event.__table__).values(  # type: ignore[attr-defined]
                event_id=env.id,
                hall=env.hall,
                device=env.device,
                seq=env.seq,
                type="rating",
                device_ts=env.ts.astimezone(UTC),
                ts_offset_min=480,
                synced=True,
                received_at=env.ts.astimezone(UTC),
                body=env.body.model_dump_json(),
            )
        )


def test_the_citizens_number_is_sealed_opened_to_call_and_erased_at_closure(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rule RATE-3 (whom to call back), PRIV-1 (encrypted at rest, erased when done)
    private, public_key = new_keypair()
    monkeypatch.setenv("HK_CONTACT_KEY", private)
    ticket = rig.serve()
    sealed = seal(public_key, "13912345678")
    rig.seq += 1
    env = make_envelope(
        hall=HALL.id,
        device="w01-rate",
        seq=rig.seq,
        ts=rig.clock.now,
        synced=True,
        body=Rating(seat="w01-a", ticket=ticket, shown_staff_id="S0012", level=1, contact=sealed),
    )
    store_fact(rig.engine, env)
    rig.ratings.project(rig.engine, IngestBatch(events=(env,)))
    (task,) = rig.rows("rating_followup")
    assert task["contact"] == sealed  # only ever the sealed token at rest
    dump = json.dumps(rig.rows("rating_followup") + rig.rows("rating"), default=str)
    assert "13912345678" not in dump
    shown = followup(rig.engine, task["id"])
    assert shown["has_contact"] and "contact" not in shown
    assert reveal_contact(rig.engine, task["id"], "zhang", FRIDAY) == "13912345678"
    assert followup(rig.engine, task["id"])["log"][-1]["action"] == "reveal"
    steps = rig.engine, task["id"]
    act(*steps, "contacted", "zhang", FRIDAY, note="phoned")
    act(*steps, "verified", "zhang", FRIDAY, finding="unfounded", note="not borne out")
    act(*steps, "closed", "zhang", FRIDAY, note="explained the rules", told_how="phone")
    (task,) = rig.rows("rating_followup")
    assert task["contact"] is None and task["contact_erased_at"] == FRIDAY
    assert event_body(rig.engine, env.id)["contact"] is None  # the stored fact too
    assert event_body(rig.engine, env.id)["level"] == 1  # and nothing else of it
    with pytest.raises(FollowupError, match="err_no_number"):
        reveal_contact(rig.engine, task["id"], "zhang", FRIDAY)
    # a satisfied citizen's number (never asked for, but sent) is not kept at all
    other = rig.serve()
    rig.seq += 1
    happy = make_envelope(
        hall=HALL.id,
        device="w01-rate",
        seq=rig.seq,
        ts=rig.clock.now,
        synced=True,
        body=Rating(seat="w01-a", ticket=other, level=5, contact=seal(public_key, "13800000000")),
    )
    store_fact(rig.engine, happy)
    rig.ratings.project(rig.engine, IngestBatch(events=(happy,)))
    assert event_body(rig.engine, happy.id)["contact"] is None


def test_without_the_hubs_key_a_number_stays_closed(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rule PRIV-1: a copied database alone opens nothing
    monkeypatch.delenv("HK_CONTACT_KEY", raising=False)
    _, public_key = new_keypair()
    ticket = rig.serve()
    rig.rate(ticket, 2, contact=seal(public_key, "13800138000"))
    (task,) = rig.rows("rating_followup")
    with pytest.raises(ContactKeyError, match="HK_CONTACT_KEY"):
        reveal_contact(rig.engine, task["id"], "zhang", FRIDAY)
    other_private, _ = new_keypair()
    monkeypatch.setenv("HK_CONTACT_KEY", other_private)
    with pytest.raises(FollowupError, match="err_bad_number"):  # another hall's key
        reveal_contact(rig.engine, task["id"], "zhang", FRIDAY)


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
    from hub.exports import csv_bytes, xlsx_bytes

    (listed,) = reports.export_sheets(rig.engine, HALL, day, day, lang="zh-CN")
    text = csv_bytes("zh-CN", listed).decode("utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(text)))
    assert [x["评价等级"] for x in lines] == ["非常满意", "满意", "", "不满意"]  # not rated: empty
    sheets = reports.export_sheets(rig.engine, HALL, day, day, lang="en", what="stats")
    wb = load_workbook(io.BytesIO(xlsx_bytes("en", sheets)))
    assert wb.sheetnames == ["By staff", "By window", "By service", "By month"]
    assert wb["By window"]["B2"].value == HALL.window_names()["w01"]  # its name, not w01
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
        assert task["has_contact"] is False and "contact" not in task
        bad = c.post(f"/api/ratings/followups/{task['id']}/rectified", json={"actor": "x"})
        assert bad.status_code == 409 and bad.json()["code"] == "followup.err_not_now"
        assert c.post(f"/api/ratings/followups/{task['id']}/resolve", json={}).status_code == 404
        ok = c.post(
            f"/api/ratings/followups/{task['id']}/assign",
            json={"actor": "office", "assignee": "zhang"},
        )
        assert ok.status_code == 200 and ok.json()["state"] == "assigned"
        assert c.get(f"/api/ratings/followups/{task['id']}").json()["log"][1]["actor"] == "office"
        nothing = c.post(f"/api/ratings/followups/{task['id']}/contact", json={"actor": "zhang"})
        assert nothing.status_code == 409  # the citizen left no number
        c.post(f"/api/ratings/followups/{task['id']}/contacted", json={"actor": "zhang"})
        c.post(
            f"/api/ratings/followups/{task['id']}/verified",
            json={"actor": "zhang", "finding": "substantiated"},
        )
        late = c.post(
            f"/api/ratings/followups/{task['id']}/rectify",
            json={"actor": "lead", "note": "培训", "due": "2027-01-30"},
        )
        assert late.status_code == 409 and late.json()["code"] == "followup.err_due_late"
        rect = c.post(
            f"/api/ratings/followups/{task['id']}/rectify",
            json={"actor": "lead", "note": "培训", "due": "2026-11-24"},
        )
        assert rect.status_code == 200
        assert rect.json()["rectify_due"].startswith("2026-11-24T16:00:00")  # 25th 00:00 +08
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
        book = load_workbook(io.BytesIO(xlsx.content))  # 18.8: sheets and headers in words
        assert book["按人员"]["B2"].value == "S0012" and book["按人员"]["B1"].value == "编号"
        settings = c.get("/api/ratings/settings").json()
        assert settings["contact_days"] == 0 and settings["scheme"] == "national"
        put = c.put("/api/ratings/settings", json={"contact_days": 2, "close_days": 7})
        assert put.status_code == 200
        assert c.get("/api/ratings/settings").json()["close_days"] == 7
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
