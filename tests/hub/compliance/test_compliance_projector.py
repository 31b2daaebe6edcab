"""Projector, records, reports and API on SQLite and PostgreSQL, in the demo hall."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.api.app import create_app
from hub.commands import RecordingSender
from hub.compliance.api import router
from hub.compliance.engine import CompliancePolicy
from hub.compliance.projector import CompliancePresence
from hub.compliance.reports import build_report, report_csv
from hub.compliance.schedule import WorkSchedule
from hub.compliance.tables import AlertRow, HandoverRow, NoticeRow, SeatAssignment, ViolationRow
from hub.db import session_scope
from hub.fleet.tables import Alert
from hub.ingest.hooks import IngestBatch
from models.commands import DisplayText
from models.envelope import Envelope, make_envelope
from models.events import (
    AwaySign,
    CallAction,
    CallRequest,
    DeviceFault,
    EventBody,
    EventType,
    Presence,
)
from models.layout import load_hall

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 6, 10)
HALL = load_hall(Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo")
STAFF = {
    "w01-a": ("s01a", "A"),
    "w01-b": ("s01b", "B"),
    "w02-a": ("s02", "A"),
    "w03-a": ("s03", "A"),
    "w04-a": ("s04", "A"),
    "w05-a": ("s05", "A"),
    "w06-a": ("s06", "A"),
    "w07-a": ("s07", "A"),
    "w08-a": ("s08", "A"),
}


class Clock:
    """A settable hub clock."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def at(hhmm: str) -> datetime:
    return datetime.combine(DAY, time.fromisoformat(hhmm), TZ)


class Devices:
    """Builds envelopes as the demo hall's devices would send them."""

    def __init__(self) -> None:
        self.seq: dict[str, int] = {}

    def env(
        self, device: str, when: str, body: EventBody, type: EventType | None = None
    ) -> Envelope:
        self.seq[device] = self.seq.get(device, 0) + 1
        return make_envelope(
            hall="demo",
            device=device,
            seq=self.seq[device],
            ts=at(when),
            synced=True,
            body=body,
            type=type,
        )

    def leave(self, seat: str, out: str, back: str | None, sign: bool = True) -> list[Envelope]:
        evs = [self.env(f"{seat}-radar", "08:20", Presence(seat=seat, present=True))]
        if sign:
            evs.append(
                self.env(f"{seat}-sign", out, AwaySign(seat=seat), EventType.AWAY_SIGN_PLACED)
            )
        evs.append(self.env(f"{seat}-radar", out, Presence(seat=seat, present=False)))
        if back:
            evs.append(self.env(f"{seat}-radar", back, Presence(seat=seat, present=True)))
            if sign:
                evs.append(
                    self.env(f"{seat}-sign", back, AwaySign(seat=seat), EventType.AWAY_SIGN_REMOVED)
                )
        return evs


def assign(engine: Engine) -> None:
    with session_scope(engine) as s:
        for seat, (staff, role) in STAFF.items():
            window = seat.split("-")[0]
            s.add(SeatAssignment(hall="demo", seat=seat, window=window, staff_id=staff, role=role))


def demo_day(d: Devices) -> list[Envelope]:
    """A day in the demo hall with an away period of each kind."""
    evs: list[Envelope] = []
    evs += d.leave("w02-a", "10:00", "10:08")  # 8 min with sign: within the rules
    evs += d.leave("w06-a", "10:00", "10:12")  # rule POST-1
    evs += d.leave("w07-a", "10:00", "10:03", sign=False)  # rule POST-2
    evs += d.leave("w01-a", "10:00", "10:06") + d.leave("w01-b", "10:02", "10:07")  # POST-5
    evs += d.leave("w04-a", "10:00", "10:06")  # rule POST-4 with the call below
    evs.append(
        d.env(
            "w04-keypad", "10:03", CallRequest(window="w04", action=CallAction.CALL, ticket="B007")
        )
    )
    evs += d.leave("w05-a", "10:00", "11:30")  # covered: rule POST-6 satisfied
    evs += d.leave("w08-a", "10:00", "11:30")  # rule POST-6
    # rule ATT-11: w03 serves past closing, then leaves without the sign
    evs.append(d.env("w03-a-radar", "08:20", Presence(seat="w03-a", present=True)))
    evs.append(d.env("w03-keypad", "18:35", CallRequest(window="w03", action=CallAction.FINISH)))
    evs.append(d.env("w03-a-radar", "18:40", Presence(seat="w03-a", present=False)))
    # rule DEV-4: a radar fault on w03-b is never an absence
    evs.append(d.env("w03-b-radar", "08:25", Presence(seat="w03-b", present=True)))
    evs.append(d.env("w03-b-radar", "11:00", DeviceFault(code="radar_silent", message="x")))
    evs.append(
        d.env("w03-b-radar", "11:40", DeviceFault(code="radar_silent", message="x", active=False))
    )
    return evs


def make_projector(clock: Clock, sender: RecordingSender) -> CompliancePresence:
    return CompliancePresence(
        [HALL], sender, clock=clock, schedules={"demo": WorkSchedule()}, policy=CompliancePolicy()
    )


def test_demo_hall_day_gives_exactly_the_rules_violations(engine: Engine) -> None:
    # rule POST-1, rule POST-2, rule POST-4, rule POST-5, rule POST-6, rule POST-7, rule ATT-11
    assign(engine)
    clock = Clock(at("09:40"))
    sender = RecordingSender()
    app = create_app(
        engine=engine, halls=[HALL], commands=sender, routers=[router], clock=clock, auth=False
    )
    projector = make_projector(clock, sender)
    app.state.compliance = projector
    client = TestClient(app)
    cover = client.post(
        "/api/compliance/demo/covers",
        json={
            "seat": "w05-a",
            "start": at("09:55").isoformat(),
            "end": at("11:35").isoformat(),
            "staff_id": "s05",
            "cover_staff_id": "s99",
            "reason": "meeting",
        },
    )
    assert cover.status_code == 201, cover.text
    ok = client.post(
        f"/api/compliance/demo/covers/{cover.json()['id']}/approve", json={"approved_by": "chief1"}
    )
    assert ok.status_code == 200 and ok.json()["status"] == "approved"

    clock.at = at("23:00")
    batch = IngestBatch(events=demo_day(Devices()))
    projector.project(engine, batch)
    projector.project(engine, batch)  # a redelivered batch changes nothing

    with Session(engine) as s:
        got = sorted((v.rule, v.seat) for v in s.exec(select(ViolationRow)).all())
        notices = s.exec(select(NoticeRow)).all()
        handovers = s.exec(select(HandoverRow)).all()
        alerts = s.exec(select(AlertRow)).all()
    assert got == [
        ("POST-1", "w06-a"),
        ("POST-2", "w07-a"),
        ("POST-5", "w01-a"),
        ("POST-5", "w01-b"),
        ("POST-6", "w08-a"),
    ]
    assert [(n.window, n.neighbour_window, n.neighbour_device, n.ticket) for n in notices] == [
        ("w04", "w03", "w03-led", "B007")
    ]
    assert [(h.from_staff, h.to_staff) for h in handovers] == [("s01a", "s01b")]
    # the neighbour's display shows the notice, once
    assert len(sender.sent) == 1
    hall, device, body = sender.sent[0]
    assert (hall, device) == ("demo", "w03-led") and isinstance(body, DisplayText)
    assert "4号窗口" in body.text and "B007" in body.text
    assert sorted(a.audience for a in alerts if a.rule == "POST-4") == [
        "operator",
        "staff:s04",
        "window:w03",
    ]
    assert sorted(a.rule for a in alerts if a.rule != "POST-4") == [
        "POST-1",
        "POST-2",
        "POST-5",
        "POST-5",
        "POST-6",
    ]
    # the operator's desk: one alert per incident (the pair away together is one), worded by key
    with Session(engine) as s:
        desk = {a.rule: a for a in s.exec(select(Alert).where(Alert.source == "compliance"))}
    assert sorted(desk) == ["POST-1", "POST-2", "POST-4", "POST-5", "POST-6"]
    assert all(a.occurrences == 1 for a in desk.values())  # the redelivered batch raised none
    assert desk["POST-4"].recipients == ["operator", "window:w03", "staff:s04"]
    assert (desk["POST-4"].words, desk["POST-4"].word_values) == (
        "notice.POST-4",
        {"window": 4, "ticket": "B007"},
    )
    assert desk["POST-2"].words == "violation.POST-2" and desk["POST-2"].word_values
    assert desk["POST-6"].word_values == {"minutes": 90, "cover": "none"}  # 10:00-11:30

    # the API shows the evidence
    v = client.get(
        "/api/compliance/demo/violations", params={"day": "2026-06-10", "rule": "POST-1"}
    ).json()
    assert len(v) == 1 and v[0]["staff_id"] == "s06"
    by_staff = client.get(
        "/api/compliance/demo/violations", params={"day": "2026-06-10", "staff_id": "s06"}
    ).json()
    assert {x["staff_id"] for x in by_staff} == {"s06"} and v[0]["id"] in {
        x["id"] for x in by_staff
    }
    starts = [x["start"] for x in by_staff]
    assert starts == sorted(starts)
    kinds = [(e["kind"], e["on"]) for e in v[0]["evidence"]]
    assert ("sign", True) in kinds and ("presence", False) in kinds
    away = client.get("/api/compliance/demo/away", params={"day": "2026-06-10"}).json()
    assert {a["seat"] for a in away} == {
        "w01-a",
        "w01-b",
        "w02-a",
        "w04-a",
        "w05-a",
        "w06-a",
        "w07-a",
        "w08-a",
    }
    assert next(a for a in away if a["seat"] == "w05-a")["cover_id"] == cover.json()["id"]

    # reports list them, per staff member and per window, JSON and CSV
    daily = client.get("/api/compliance/demo/reports/daily", params={"day": "2026-06-10"}).json()
    by_staff = {ln["key"]: ln for ln in daily["lines"]}
    assert by_staff["s06"]["POST-1"] == 1 and by_staff["s02"]["violations_total"] == 0
    assert by_staff["s04"]["notices"] == 1 and by_staff["s08"]["POST-6"] == 1
    assert by_staff["s03"]["extended_min"] == 35.0  # rule ATT-11: served until 18:35
    text = client.get(
        "/api/compliance/demo/reports/monthly",
        params={"month": "2026-06", "by": "window", "format": "csv"},
    ).content.decode("utf-8")
    assert text.startswith("\ufeff窗口编号,窗口,天数")  # 18.8: BOM, Chinese headers
    rows = {r["窗口编号"]: r for r in csv.DictReader(io.StringIO(text[1:]))}
    assert rows["w01"]["POST-5 同时离岗"] == "2" and rows["w02"]["违规合计"] == "0"
    assert rows["w01"]["窗口"] == "1号窗口"
    english = client.get(
        "/api/compliance/demo/reports/monthly",
        params={"month": "2026-06", "by": "staff", "format": "xlsx", "lang": "en"},
    )
    book = openpyxl.load_workbook(io.BytesIO(english.content))
    assert book.sheetnames == ["Staff", "Windows"]
    assert [c.value for c in book["Staff"][1]][:3] == ["Staff id", "Name", "Days"]
    report = build_report(engine, "demo", DAY, DAY)
    assert (
        "s07" in report_csv(report) and sum(ln.violations["POST-2"] for ln in report.by_staff) == 1
    )


def test_refused_cover_and_late_fact_recompute(engine: Engine) -> None:
    # rule POST-6: a refused cover does not hold; rule POST-1: a late return fact re-judges
    assign(engine)
    clock = Clock(at("23:00"))
    sender = RecordingSender()
    projector = CompliancePresence([HALL], sender, clock=clock, schedules={"demo": WorkSchedule()})
    d = Devices()
    evs = d.leave("w06-a", "10:00", None)  # leaves, the return fact is late
    projector.project(engine, IngestBatch(events=evs))
    with Session(engine) as s:
        rules = sorted(v.rule for v in s.exec(select(ViolationRow)).all())
    assert rules == ["POST-6"]  # away until closing as far as the hub knows
    projector.project(
        engine,
        IngestBatch(
            events=[
                d.env("w06-a-radar", "10:12", Presence(seat="w06-a", present=True)),
                d.env("w06-a-sign", "10:12", AwaySign(seat="w06-a"), EventType.AWAY_SIGN_REMOVED),
            ]
        ),
    )
    with Session(engine) as s:
        rows = s.exec(select(ViolationRow)).all()
    assert [(v.rule, v.end is not None) for v in rows] == [("POST-1", True)]


def test_live_tick_and_covers(engine: Engine) -> None:
    # rule POST-1 live alert while away; rule POST-6 covers (POST-8 checks: tests/hub/duty)
    assign(engine)
    clock = Clock(at("10:05"))
    sender = RecordingSender()
    projector = make_projector(clock, sender)
    d = Devices()
    projector.project(engine, IngestBatch(events=d.leave("w07-a", "10:00", None)))
    with Session(engine) as s:
        assert s.exec(select(ViolationRow)).all() == []
    clock.at = at("10:15")
    assert projector.tick(engine) == 1
    with Session(engine) as s:
        v = s.exec(select(ViolationRow)).all()
        assert [(x.rule, x.end) for x in v] == [("POST-1", None)]
        assert [a.rule for a in s.exec(select(AlertRow)).all()] == ["POST-1"]

    app = create_app(
        engine=engine, halls=[HALL], commands=sender, routers=[router], clock=clock, auth=False
    )
    app.state.compliance = projector
    client = TestClient(app)
    long = client.post(
        "/api/compliance/demo/covers",
        json={
            "seat": "w07-a",
            "start": at("13:00").isoformat(),
            "end": (at("13:00") + timedelta(hours=3)).isoformat(),
        },
    ).json()
    refused = client.post(
        f"/api/compliance/demo/covers/{long['id']}/approve", json={"approved_by": "chief1"}
    )
    assert refused.status_code == 422 and "POST-6" in refused.text
    head = client.post(
        f"/api/compliance/demo/covers/{long['id']}/approve",
        json={"approved_by": "dir1", "approver_role": "head"},
    )
    assert head.status_code == 200
