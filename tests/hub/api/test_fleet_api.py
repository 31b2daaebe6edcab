"""The fleet API via FastAPI's TestClient: devices, alerts, opening check, config versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.api.app import create_app
from hub.configpush import ConfigVersion
from hub.db import session_scope
from hub.fleet.engine import FleetPolicy
from hub.fleet.projector import FleetProjector
from hub.fleet.service import FleetService
from hub.ingest.hooks import DeviceState, IngestBatch
from models.devices import OPENING_CHECK_KINDS
from models.envelope import make_envelope
from models.events import ConfigApplied, DeviceFault, Heartbeat
from models.layout import load_hall

DEMO = Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo"
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 8, 21, tzinfo=SH)  # one minute after the 08:20 check (rule DEV-1)


def heartbeat(device: str, at: datetime):  # type: ignore[no-untyped-def]
    return make_envelope(
        hall="demo",
        device=device,
        seq=0,
        ts=at,
        synced=True,
        body=Heartbeat(
            uptime_s=1,
            agent_version="0.1.0",
            contract_version=1,
            outbox_depth=0,
            outbox_capacity=100,
            clock_synced=True,
        ),
    )


def prepare(engine: Engine) -> FleetService:
    """The demo hall registered; every checked device healthy but two."""
    hall = load_hall(DEMO)
    clock = lambda: NOW  # noqa: E731
    service = FleetService(engine, [hall], FleetPolicy(), clock=clock)
    service.sync()
    proj = FleetProjector(FleetPolicy(), clock=clock)
    events = [
        heartbeat(d.id, NOW - timedelta(seconds=20)) for d in hall.devices if d.id != "w02-rate"
    ]
    fault = make_envelope(
        hall="demo",
        device="ent-face2",
        seq=1,
        ts=NOW,
        synced=True,
        body=DeviceFault(code="camera", message="camera not found"),
    )
    applied = make_envelope(
        hall="demo", device="w01-led", seq=1, ts=NOW, synced=True, body=ConfigApplied(version=1)
    )
    proj.project(engine, IngestBatch(events=(*events, fault, applied), received_at=NOW))
    proj.project(
        engine, IngestBatch(states=(DeviceState("demo", "w01-led", False, NOW),), received_at=NOW)
    )
    with session_scope(engine) as s:
        s.add(
            ConfigVersion(
                hall="demo",
                device="w01-led",
                version=1,
                kind="counter_display",
                settings_hash="x" * 64,
                settings={},
                issued_at=NOW,
            )
        )
    return service


def client(engine: Engine, **kw: object) -> TestClient:
    from hub.fleet.api import router
    from hub.users.api import router as users_router

    kw.setdefault("auth", False)  # fleet logic; logins are tested in tests/hub/users
    routers = [router, users_router, *kw.pop("routers", [])]  # type: ignore[misc]
    app = create_app(
        engine=engine, halls=[load_hall(DEMO)], clock=lambda: NOW, routers=routers, **kw
    )  # type: ignore[arg-type]
    return TestClient(app)


def test_devices_and_alerts(engine: Engine) -> None:
    prepare(engine)
    c = client(engine)
    devices = c.get("/api/devices").json()
    by_id = {d["device"]: d for d in devices}
    assert len(by_id) == len(load_hall(DEMO).devices)
    assert by_id["w01-led"]["status"] == "offline" and by_id["w01-led"]["open_alerts"] == [
        "offline"
    ]
    assert by_id["w02-rate"]["status"] == "unknown"
    assert (
        by_id["ent-face1"]["status"] == "online" and by_id["ent-face1"]["kind"] == "face_terminal"
    )
    assert [d["device"] for d in c.get("/api/devices", params={"status": "offline"}).json()] == [
        "w01-led"
    ]

    (summary,) = c.get("/api/fleet/summary").json()
    assert summary["hall"] == "demo" and summary["devices"] == len(by_id)
    assert summary["by_status"] == {
        "unknown": 1,
        "online": len(by_id) - 2,
        "inactive": 0,
        "offline": 1,
    }
    assert summary["open_alerts"] == {"offline": 1, "fault:camera": 1}

    one = c.get("/api/devices/demo/ent-face2").json()
    assert one["faults"] == [{"code": "camera", "message": "camera not found", "severity": "error"}]
    assert c.get("/api/devices/demo/nope").status_code == 404

    open_alerts = c.get("/api/alerts", params={"state": "open"}).json()
    assert sorted((a["device"], a["kind"]) for a in open_alerts) == [
        ("ent-face2", "fault:camera"),
        ("w01-led", "offline"),
    ]
    assert c.get("/api/alerts", params={"state": "bogus"}).status_code == 422

    alert_id = next(a["id"] for a in open_alerts if a["kind"] == "fault:camera")
    refused = c.post(f"/api/alerts/{alert_id}/resolve")
    assert refused.status_code == 422 and refused.json()["code"] == "alert.comment_required"
    resolved = c.post(f"/api/alerts/{alert_id}/resolve", json={"comment": "replaced"}).json()
    assert resolved["state"] == "resolved" and resolved["resolved_by"] == "operator"
    assert resolved["resolve_comment"] == "replaced"
    assert [a["kind"] for a in c.get("/api/alerts").json()] == ["offline"]
    assert c.get("/api/alerts", params={"state": "resolved"}).json()[0]["id"] == alert_id
    assert c.post("/api/alerts/999999/resolve", json={"comment": "x"}).status_code == 404


def test_opening_check_report(engine: Engine) -> None:
    # rule DEV-1: at 08:20 (opening 08:30 minus 10 minutes) the tick stores today's report
    service = prepare(engine)
    assert service.tick(datetime(2026, 3, 2, 8, 19, tzinfo=SH)) == []
    c = client(engine)
    assert c.get("/api/opening-check").json() == []
    (report,) = service.tick(NOW)
    assert not report.ok
    assert service.tick(NOW + timedelta(minutes=5)) == []  # once a day
    (body,) = c.get("/api/opening-check").json()
    assert body["hall"] == "demo" and body["day"] == "2026-03-02" and body["ok"] is False
    assert datetime.fromisoformat(body["due_at"]) == datetime(2026, 3, 2, 8, 20, tzinfo=SH)
    problems = {p["device"]: p for p in body["problems"]}
    assert sorted(problems) == ["ent-face2", "w01-led", "w02-rate"]
    assert problems["w02-rate"]["reasons"] == ["never reported"]
    assert problems["w01-led"]["status"] == "offline"
    # the kinds models/devices marks for the opening check: face terminals, displays, rating
    # devices, and the kiosk with its ticket printer (the touch screen citizens take numbers at)
    assert {"face_terminal", "rating_device", "kiosk", "ticket_printer"} <= OPENING_CHECK_KINDS
    checked = sum(1 for d in load_hall(DEMO).devices if d.kind in OPENING_CHECK_KINDS)
    assert body["checked"] == checked
    rerun = c.post("/api/opening-check/run", params={"hall": "demo"}).json()
    assert rerun[0]["day"] == "2026-03-02"
    assert c.post("/api/opening-check/run", params={"hall": "zzz"}).status_code == 404


def test_config_versions_and_health(engine: Engine) -> None:
    prepare(engine)
    c = client(engine)
    (cv,) = c.get("/api/config-versions").json()
    assert cv["device"] == "w01-led" and cv["version"] == 1 and cv["applied_version"] == 1
    assert cv["up_to_date"] is True
    health = c.get("/api/health").json()
    assert health == {"status": "ok", "database": "ok", "halls": ["demo"], "detail": {}}


def test_extra_routers_join_the_app(sqlite_engine: Engine) -> None:
    extra = APIRouter(prefix="/api/extra")
    extra.add_api_route("/ping", lambda: {"pong": True})
    c = client(sqlite_engine, routers=[extra])
    assert c.get("/api/extra/ping").json() == {"pong": True}
    with pytest.raises(ValueError, match=r"hub\.users"):  # authentication on, no way to log in
        create_app(engine=sqlite_engine, routers=[extra], auth=True)
    assert UTC  # aware times only
