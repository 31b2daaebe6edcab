"""FleetProjector fed IngestBatch objects: online, offline, alerts, config versions (both DBs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.fleet.engine import FleetPolicy
from hub.fleet.projector import FleetProjector
from hub.fleet.service import FleetService
from hub.fleet.tables import Alert, DeviceHealth, FleetDevice
from hub.ingest.hooks import DeviceState, IngestBatch
from models.envelope import Envelope, make_envelope
from models.events import ConfigApplied, ConfigRejected, DeviceFault, Heartbeat, Liveness, Punch

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


class Clock:
    """A settable clock for the projector and the service."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def heartbeat(device: str, at: datetime, **kw: object) -> Envelope:
    body = dict(
        uptime_s=5.0,
        agent_version="0.1.0",
        contract_version=1,
        config_version=None,
        outbox_depth=0,
        outbox_capacity=1000,
        clock_offset_ms=3.0,
        clock_synced=True,
    )
    body.update(kw)
    return make_envelope(
        hall="demo", device=device, seq=0, ts=at, synced=True, body=Heartbeat(**body)
    )  # type: ignore[arg-type]


def fact(device: str, at: datetime, body: object, seq: int = 1) -> Envelope:
    return make_envelope(hall="demo", device=device, seq=seq, ts=at, synced=True, body=body)  # type: ignore[arg-type]


def alerts(engine: Engine, state: str = "open") -> list[tuple[str, str]]:
    with Session(engine) as s:
        rows = s.exec(select(Alert).where(Alert.state == state)).all()
        return sorted((a.device, a.kind) for a in rows)


def test_heartbeat_then_offline_then_online(engine: Engine) -> None:
    clock = Clock(T0)
    proj = FleetProjector(FleetPolicy(), clock=clock)
    proj.project(engine, IngestBatch(events=(heartbeat("ent-face1", T0),), received_at=T0))
    with Session(engine) as s:
        h = s.get(DeviceHealth, ("demo", "ent-face1"))
        assert h is not None and h.online is True and h.uptime_s == 5.0
        assert s.get(FleetDevice, ("demo", "ent-face1")) is not None  # registered when seen
    assert alerts(engine) == []

    clock.now = T0 + timedelta(seconds=10)
    off = DeviceState("demo", "ent-face1", False, clock.now)
    proj.project(engine, IngestBatch(states=(off,), received_at=clock.now))
    assert alerts(engine) == [("ent-face1", "offline")]
    # the same condition again opens no second alert
    proj.project(engine, IngestBatch(states=(off,), received_at=clock.now))
    assert alerts(engine) == [("ent-face1", "offline")]

    clock.now = T0 + timedelta(seconds=20)
    proj.project(
        engine,
        IngestBatch(
            states=(DeviceState("demo", "ent-face1", True, clock.now),), received_at=clock.now
        ),
    )
    assert alerts(engine) == []
    assert alerts(engine, "resolved") == [("ent-face1", "offline")]


def test_events_apply_before_states_of_one_batch(engine: Engine) -> None:
    # a heartbeat and the LWT in one batch: the device is offline afterwards
    proj = FleetProjector(clock=Clock(T0))
    batch = IngestBatch(
        events=(heartbeat("w01-rate", T0),),
        states=(DeviceState("demo", "w01-rate", False, T0),),
        received_at=T0,
    )
    proj.project(engine, batch)
    assert alerts(engine) == [("w01-rate", "offline")]


def test_faults_backlog_skew_and_config(engine: Engine) -> None:
    # rule DEV-4: faults open an alert per code and resolve when cleared
    proj = FleetProjector(FleetPolicy(clock_skew_ms=2000, backlog_fraction=0.5), clock=Clock(T0))
    events = (
        heartbeat("hall-printer", T0, outbox_depth=900, clock_offset_ms=5000.0),
        fact("hall-printer", T0, DeviceFault(code="paper_out", message="no paper")),
        fact("hall-printer", T0, ConfigApplied(version=1), seq=2),
        fact("hall-printer", T0, ConfigRejected(version=2, reason="bad port"), seq=3),
    )
    proj.project(engine, IngestBatch(events=events, received_at=T0))
    assert alerts(engine) == [
        ("hall-printer", "clock_skew"),
        ("hall-printer", "config_rejected"),
        ("hall-printer", "fault:paper_out"),
        ("hall-printer", "outbox_backlog"),
    ]
    events = (
        heartbeat("hall-printer", T0 + timedelta(seconds=30), outbox_depth=1),
        fact("hall-printer", T0, DeviceFault(code="paper_out", message="ok", active=False), 4),
        fact("hall-printer", T0, ConfigApplied(version=2), seq=5),
    )
    proj.project(engine, IngestBatch(events=events, received_at=T0 + timedelta(seconds=30)))
    assert alerts(engine) == []
    with Session(engine) as s:
        h = s.get(DeviceHealth, ("demo", "hall-printer"))
        assert h is not None and h.applied_config_version == 2 and h.faults == []


def test_any_event_counts_as_seen_and_silence_becomes_inactive(engine: Engine) -> None:
    clock = Clock(T0)
    proj = FleetProjector(FleetPolicy(inactivity_s=60), clock=clock)
    punch = Punch(staff_id="s1", distance=0.3, liveness=Liveness(passed=True))
    proj.project(engine, IngestBatch(events=(fact("ent-face2", T0, punch),), received_at=T0))
    with Session(engine) as s:
        h = s.get(DeviceHealth, ("demo", "ent-face2"))
        assert h is not None and h.last_seen is not None
    service = FleetService(engine, [], FleetPolicy(inactivity_s=60), clock=clock)
    service.tick(T0 + timedelta(seconds=61))
    assert alerts(engine) == [("ent-face2", "inactive")]
    proj.project(
        engine,
        IngestBatch(
            events=(heartbeat("ent-face2", T0 + timedelta(seconds=70)),),
            received_at=T0 + timedelta(seconds=70),
        ),
    )
    assert alerts(engine) == []


def test_two_workers_on_one_device_lose_nothing(engine: Engine) -> None:
    """Two ingest workers (shared subscription) project one device at once: no lost update."""
    import threading

    proj = FleetProjector(clock=Clock(T0))
    errors: list[BaseException] = []

    def faults() -> None:
        try:
            for i in range(15):
                body = DeviceFault(code=f"f{i:02d}", message="x")
                proj.project(
                    engine, IngestBatch(events=(fact("w04-led", T0, body, i + 1),), received_at=T0)
                )
        except BaseException as exc:  # reported below
            errors.append(exc)

    def beats() -> None:
        try:
            for i in range(15):
                at = T0 + timedelta(seconds=i)
                proj.project(
                    engine,
                    IngestBatch(events=(heartbeat("w04-led", at, uptime_s=i),), received_at=at),
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=faults), threading.Thread(target=beats)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with Session(engine) as s:
        h = s.get(DeviceHealth, ("demo", "w04-led"))
        assert h is not None and len(h.faults) == 15 and h.uptime_s == 14
    assert len(alerts(engine)) == 15


def test_database_allows_one_open_alert_per_device_and_kind(engine: Engine) -> None:
    import pytest
    from sqlalchemy.exc import IntegrityError

    from hub.db import session_scope

    with session_scope(engine) as s:
        s.add(Alert(hall="demo", device="d", kind="offline", state="resolved", opened_at=T0))
        s.add(Alert(hall="demo", device="d", kind="offline", state="open", opened_at=T0))
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(Alert(hall="demo", device="d", kind="offline", state="open", opened_at=T0))
    with session_scope(engine) as s:  # another kind, or another device, is fine
        s.add(Alert(hall="demo", device="d", kind="inactive", state="open", opened_at=T0))
        s.add(Alert(hall="demo", device="e", kind="offline", state="open", opened_at=T0))


def test_a_hall_switched_off_on_purpose_leaves_no_alert_behind(engine: Engine) -> None:
    """A clean stop (the demo's Ctrl-C, rule DEV-2): the devices going offline raise no alert,
    and a fault they had (paper out) is forgotten and its alert resolved, since nobody learns it
    is over until the device is back and reports again."""
    from pathlib import Path

    from hub.fleet.service import switched_off
    from models.layout import load_hall

    hall = load_hall(Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo")
    clock = Clock(T0)
    proj = FleetProjector(FleetPolicy(), clock=clock)
    events = (
        heartbeat("hall-printer", T0),
        heartbeat("w01-led", T0),
        fact("hall-printer", T0, DeviceFault(code="paper_out", message="no paper"), seq=2),
    )
    proj.project(engine, IngestBatch(events=events, received_at=T0))
    assert alerts(engine) == [("hall-printer", "fault:paper_out")]
    proj.closing.set()
    clock.now = T0 + timedelta(seconds=5)
    offline = tuple(DeviceState("demo", d, False, clock.now) for d in ("hall-printer", "w01-led"))
    proj.project(engine, IngestBatch(states=offline, received_at=clock.now))
    assert alerts(engine) == [("hall-printer", "fault:paper_out")]  # no offline alerts
    assert switched_off(engine, [hall], clock.now, FleetPolicy()) == 1
    assert alerts(engine) == []
    assert alerts(engine, "resolved") == [("hall-printer", "fault:paper_out")]
    with Session(engine) as s:
        h = s.get(DeviceHealth, ("demo", "hall-printer"))
        assert h is not None and h.faults == [] and h.online is False
    # back the next morning, not closing: going offline is an alert again
    proj.closing.clear()
    clock.now = T0 + timedelta(hours=12)
    on = DeviceState("demo", "w01-led", True, clock.now)
    proj.project(engine, IngestBatch(states=(on,), received_at=clock.now))
    off = DeviceState("demo", "w01-led", False, clock.now + timedelta(seconds=1))
    proj.project(engine, IngestBatch(states=(off,), received_at=clock.now))
    assert alerts(engine) == [("w01-led", "offline")]
