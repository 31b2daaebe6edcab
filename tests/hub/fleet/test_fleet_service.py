"""FleetService: registry sync from the layout, the startup grace, the stored opening check."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.fleet.service import FleetService
from hub.fleet.tables import FleetDevice, OpeningCheck
from models.layout import Device, Hall

SH = ZoneInfo("Asia/Shanghai")


def hall(*ids: str) -> Hall:
    return Hall(
        id="h1",
        name="t",
        opening_time="09:00",
        opening_check_minutes=15,
        devices=[Device(id=i, kind="face_terminal", node="pi") for i in ids],
    )


def test_registry_follows_the_layout(engine: Engine) -> None:
    now = datetime(2026, 3, 2, 7, 0, tzinfo=SH)
    FleetService(engine, [hall("f1", "f2")], clock=lambda: now).sync()
    FleetService(engine, [hall("f2", "f3")], clock=lambda: now).sync()
    with Session(engine) as s:
        rows = {d.device: d for d in s.exec(select(FleetDevice)).all()}
    assert sorted(rows) == ["f1", "f2", "f3"]
    assert [rows[i].in_layout for i in ("f1", "f2", "f3")] == [False, True, True]
    assert rows["f3"].kind == "face_terminal" and rows["f3"].registered_at == now


def test_opening_check_waits_for_the_startup_grace(engine: Engine) -> None:
    # rule DEV-1: due at 08:45 for a 09:00 opening; a hub started at 08:50 first lets
    # devices report in (grace) rather than calling every device unhealthy
    started = datetime(2026, 3, 2, 8, 50, tzinfo=SH)
    service = FleetService(
        engine, [hall("f1")], clock=lambda: started, interval_s=3600, startup_grace_s=60
    )
    service.sync()
    service.start()
    try:
        assert service.tick(started + timedelta(seconds=30)) == []
        (report,) = service.tick(started + timedelta(seconds=61))
    finally:
        service.stop()
    assert report.due_at == datetime(2026, 3, 2, 8, 45, tzinfo=SH)
    assert [p.device for p in report.problems] == ["f1"]
    with Session(engine) as s:
        (row,) = s.exec(select(OpeningCheck)).all()
    assert row.ok is False and row.checked == 1 and row.problems[0]["reasons"] == ["never reported"]


def test_quiet_hours_hold_offline_alerts_until_morning(engine: Engine) -> None:
    # rule DEV-2: devices switched off at night raise no alert; one still off after the quiet
    # hours does, once; an operator's resolution is not undone by the next tick
    from hub.fleet.engine import FleetPolicy
    from hub.fleet.projector import FleetProjector
    from hub.fleet.tables import Alert
    from hub.ingest.hooks import DeviceState, IngestBatch

    policy = FleetPolicy(quiet_hours=("19:00", "07:00"))
    evening = datetime(2026, 3, 2, 19, 30, tzinfo=SH)
    clock = {"now": evening}
    proj = FleetProjector(policy, clock=lambda: clock["now"], timezones={"h1": "Asia/Shanghai"})
    service = FleetService(engine, [hall("f1", "f2")], policy, clock=lambda: clock["now"])
    service.sync()
    for dev in ("f1", "f2"):
        proj.project(
            engine,
            IngestBatch(states=(DeviceState("h1", dev, False, evening),), received_at=evening),
        )

    def open_alerts() -> list[str]:
        with Session(engine) as s:
            rows = s.exec(select(Alert).where(Alert.state == "open")).all()
            return sorted(f"{a.device}:{a.kind}" for a in rows)

    assert open_alerts() == []
    service.tick(datetime(2026, 3, 3, 6, 59, tzinfo=SH))
    assert open_alerts() == []
    morning = datetime(2026, 3, 3, 7, 1, tzinfo=SH)
    proj.project(
        engine, IngestBatch(states=(DeviceState("h1", "f2", True, morning),), received_at=morning)
    )
    service.tick(morning)
    assert open_alerts() == ["f1:offline"]
    with Session(engine) as s:
        alert = s.exec(select(Alert).where(Alert.state == "open")).one()
        alert.state, alert.resolved_at, alert.resolved_by = "resolved", morning, "operator"
        s.add(alert)
        s.commit()
    service.tick(morning + timedelta(minutes=1))
    assert open_alerts() == []
    # during the day an offline state opens its alert at once
    noon = datetime(2026, 3, 3, 12, 0, tzinfo=SH)
    clock["now"] = noon
    proj.project(
        engine, IngestBatch(states=(DeviceState("h1", "f2", False, noon),), received_at=noon)
    )
    assert open_alerts() == ["f2:offline"]
