"""The pure fleet engine: status, alert conditions, reconciliation, opening check (no mocks)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hub.fleet import engine as fleet
from hub.fleet.engine import (
    AlertKind,
    DeviceSnapshot,
    Fault,
    FleetPolicy,
    Health,
    HeartbeatValues,
    Status,
)

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 08:00 in Asia/Shanghai
POLICY = FleetPolicy(inactivity_s=180, clock_skew_ms=2000, backlog_fraction=0.5)
SH = ZoneInfo("Asia/Shanghai")


def hb(at: datetime = T0, **kw: object) -> HeartbeatValues:
    base = dict(
        at=at,
        uptime_s=10.0,
        agent_version="0.1.0",
        contract_version=1,
        config_version=1,
        outbox_depth=0,
        outbox_capacity=1000,
        clock_offset_ms=5.0,
        clock_synced=True,
        cpu_temp_c=45.0,
        driver_status="ok",
    )
    base.update(kw)
    return HeartbeatValues(**base)  # type: ignore[arg-type]


def kinds(health: Health, now: datetime) -> set[str]:
    return {c.kind for c in fleet.conditions(health, now, POLICY)}


def test_unknown_device_has_no_alerts() -> None:
    assert fleet.status(Health(), T0, POLICY) is Status.UNKNOWN
    assert kinds(Health(), T0) == set()


def test_heartbeat_makes_device_online_and_keeps_fields() -> None:
    # rule DEV-2: devices switched on report themselves
    h = fleet.apply_heartbeat(Health(), hb(uptime_s=42.0, outbox_depth=3))
    assert fleet.status(h, T0, POLICY) is Status.ONLINE
    assert h.last_seen == T0
    assert h.heartbeat is not None and h.heartbeat.uptime_s == 42.0
    assert h.heartbeat.outbox_depth == 3


def test_older_heartbeat_does_not_replace_newer() -> None:
    h = fleet.apply_heartbeat(Health(), hb(at=T0 + timedelta(seconds=30), uptime_s=30))
    h = fleet.apply_heartbeat(h, hb(at=T0, uptime_s=1))
    assert h.heartbeat is not None and h.heartbeat.uptime_s == 30
    assert h.last_seen == T0 + timedelta(seconds=30)


def test_offline_state_opens_offline_and_online_resolves_it() -> None:
    h = fleet.apply_heartbeat(Health(), hb())
    h = fleet.apply_state(h, False, T0 + timedelta(seconds=5))
    now = T0 + timedelta(seconds=6)
    assert fleet.status(h, now, POLICY) is Status.OFFLINE
    assert kinds(h, now) == {AlertKind.OFFLINE}
    changes = fleet.reconcile(set(), fleet.conditions(h, now, POLICY))
    assert [c.kind for c in changes.open] == [AlertKind.OFFLINE] and changes.resolve == ()
    h = fleet.apply_state(h, True, T0 + timedelta(seconds=20))
    changes = fleet.reconcile({AlertKind.OFFLINE}, fleet.conditions(h, now, POLICY))
    assert changes.open == () and changes.resolve == (AlertKind.OFFLINE,)


def test_stale_state_message_is_ignored() -> None:
    h = fleet.apply_state(Health(), True, T0 + timedelta(seconds=10))
    h = fleet.apply_state(h, False, T0)
    assert h.online is True


def test_silence_longer_than_timeout_is_inactive_not_offline() -> None:
    h = fleet.apply_heartbeat(Health(), hb())
    assert kinds(h, T0 + timedelta(seconds=180)) == set()
    later = T0 + timedelta(seconds=181)
    assert fleet.status(h, later, POLICY) is Status.INACTIVE
    assert kinds(h, later) == {AlertKind.INACTIVE}
    # offline is the stronger word: an offline device is not also "inactive"
    off = fleet.apply_state(h, False, T0 + timedelta(seconds=1))
    assert kinds(off, later) == {AlertKind.OFFLINE}


def test_clock_skew_over_threshold_uses_reported_offset_then_observed() -> None:
    assert AlertKind.CLOCK_SKEW in kinds(
        fleet.apply_heartbeat(Health(), hb(clock_offset_ms=-2500)), T0
    )
    assert kinds(fleet.apply_heartbeat(Health(), hb(clock_offset_ms=1999)), T0) == set()
    observed = hb(clock_offset_ms=None, observed_skew_ms=90_000.0)
    assert AlertKind.CLOCK_SKEW in kinds(fleet.apply_heartbeat(Health(), observed), T0)
    # seeming behind may be a heartbeat sent late from the outbox: not a skew by itself
    late = hb(clock_offset_ms=None, observed_skew_ms=-90_000.0)
    assert kinds(fleet.apply_heartbeat(Health(), late), T0) == set()


def test_outbox_backlog_over_fraction_of_capacity() -> None:
    assert kinds(fleet.apply_heartbeat(Health(), hb(outbox_depth=500)), T0) == set()
    h = fleet.apply_heartbeat(Health(), hb(outbox_depth=501))
    assert kinds(h, T0) == {AlertKind.OUTBOX_BACKLOG}
    h = fleet.apply_heartbeat(h, hb(at=T0 + timedelta(seconds=30), outbox_depth=10))
    assert kinds(h, T0 + timedelta(seconds=30)) == set()


def test_fault_opens_per_code_and_clears() -> None:
    # rule DEV-4: a device fault is said plainly and tracked until it clears
    h = fleet.apply_heartbeat(Health(), hb())
    h = fleet.apply_fault(h, "paper_out", "printer has no paper", "error", True)
    h = fleet.apply_fault(h, "camera", "camera not found", "critical", True)
    assert kinds(h, T0) == {"fault:paper_out", "fault:camera"}
    h = fleet.apply_fault(h, "paper_out", "", "error", False)
    assert kinds(h, T0) == {"fault:camera"}


def test_a_fault_the_heartbeat_names_is_up_until_a_heartbeat_no_longer_names_it() -> None:
    # rule DEV-4: a full outbox stores no fault fact; the heartbeat says it instead
    full = Fault("outbox_disk_full", "disk full: database or disk is full", "critical")
    h = fleet.apply_heartbeat(Health(), hb(faults=(full,), driver_status="fault"))
    assert kinds(h, T0) == {"fault:outbox_disk_full"}
    assert h.faults["outbox_disk_full"].via_heartbeat
    h = fleet.apply_fault(h, "keypad_port_error", "serial port gone", "error", True)
    h = fleet.apply_heartbeat(h, hb(at=T0 + timedelta(seconds=30)))  # names nothing
    assert kinds(h, T0 + timedelta(seconds=30)) == {"fault:keypad_port_error"}  # a fact's stays
    # the held raise fact arrives after the disk has room again, then its clear
    h = fleet.apply_fault(h, "outbox_disk_full", "disk full", "critical", True)
    h = fleet.apply_heartbeat(h, hb(at=T0 + timedelta(seconds=60)))
    assert "outbox_disk_full" in h.faults  # raised by a fact: only a fact clears it
    h = fleet.apply_fault(h, "outbox_disk_full", "", "critical", False)
    assert "outbox_disk_full" not in h.faults
    # an old heartbeat naming it again changes nothing
    h = fleet.apply_heartbeat(h, hb(at=T0 + timedelta(seconds=5), faults=(full,)))
    assert "outbox_disk_full" not in h.faults


def test_config_rejected_until_a_newer_version_is_applied() -> None:
    h = fleet.apply_heartbeat(Health(), hb())
    h = fleet.apply_config_applied(h, 1, T0)
    h = fleet.apply_config_rejected(h, 2, "baud 7 not allowed")
    conds = fleet.conditions(h, T0, POLICY)
    assert [c.kind for c in conds] == [AlertKind.CONFIG_REJECTED]
    assert "baud 7" in conds[0].message
    assert fleet.apply_config_rejected(h, 1, "old").rejected_config_version == 2
    h = fleet.apply_config_applied(h, 3, T0)
    assert h.applied_config_version == 3 and kinds(h, T0) == set()


def test_reconcile_keeps_one_open_alert_per_kind() -> None:
    conds = [fleet.Condition(AlertKind.OFFLINE, "off"), fleet.Condition("fault:x", "x")]
    first = fleet.reconcile(set(), conds)
    assert {c.kind for c in first.open} == {AlertKind.OFFLINE, "fault:x"}
    again = fleet.reconcile({AlertKind.OFFLINE, "fault:x"}, conds)
    assert again.open == () and again.resolve == ()


def test_check_time_is_opening_minus_lead_in_hall_zone() -> None:
    # rule DEV-1: 10 minutes before opening, in the hall's own time zone
    at = fleet.check_at(date(2026, 3, 2), "08:30", 10, SH)
    assert at == datetime(2026, 3, 2, 8, 20, tzinfo=SH)
    assert at.astimezone(UTC) == datetime(2026, 3, 2, 0, 20, tzinfo=UTC)


def test_opening_check_due_once_a_day() -> None:
    # rule DEV-1: daily, not before its time, not twice
    before = datetime(2026, 3, 2, 8, 19, tzinfo=SH)
    after = datetime(2026, 3, 2, 8, 20, tzinfo=SH)
    assert fleet.due_check_day(before, None, "08:30", 10, SH) is None
    assert fleet.due_check_day(after, None, "08:30", 10, SH) == date(2026, 3, 2)
    assert fleet.due_check_day(after, date(2026, 3, 2), "08:30", 10, SH) is None
    assert fleet.due_check_day(after, date(2026, 3, 1), "08:30", 10, SH) == date(2026, 3, 2)
    # a UTC instant on the previous UTC date is already "today" in Shanghai
    utc_evening = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # 07:00 on 3 March in Shanghai
    assert fleet.due_check_day(utc_evening, date(2026, 3, 2), "08:30", 10, SH) is None


def test_opening_check_lists_unhealthy_face_terminals_displays_and_rating_devices() -> None:
    # rules DEV-1, DEV-3
    now = T0 + timedelta(seconds=60)
    good = fleet.apply_heartbeat(Health(), hb(at=T0 + timedelta(seconds=30)))
    offline = fleet.apply_state(good, False, T0 + timedelta(seconds=40))
    faulty = fleet.apply_fault(good, "camera", "camera not found", "critical", True)
    warned = fleet.apply_fault(good, "temp", "warm", "warning", True)
    degraded = fleet.apply_heartbeat(good, hb(at=T0 + timedelta(seconds=50), driver_status="fault"))
    devices = [
        DeviceSnapshot("demo", "ent-face1", "face_terminal", good),
        DeviceSnapshot("demo", "ent-face2", "face_terminal", faulty),
        DeviceSnapshot("demo", "w01-led", "counter_display", offline),
        DeviceSnapshot("demo", "w01-rate", "rating_device", Health()),
        DeviceSnapshot("demo", "hall-screen", "hall_display", warned),
        DeviceSnapshot("demo", "w02-rate", "rating_device", degraded),
        DeviceSnapshot("demo", "w01-a-sign", "away_sign", offline),  # not checked
        DeviceSnapshot("other", "o-face", "face_terminal", offline),  # another hall
    ]
    due = fleet.check_at(date(2026, 3, 2), "08:30", 10, SH)
    report = fleet.opening_check("demo", date(2026, 3, 2), due, now, devices, POLICY)
    assert report.checked == 6 and not report.ok
    by_device = {p.device: p for p in report.problems}
    assert sorted(by_device) == ["ent-face2", "w01-led", "w01-rate", "w02-rate"]
    assert by_device["w01-led"].reasons == ("offline",)
    assert by_device["w01-rate"].reasons == ("never reported",)
    assert by_device["ent-face2"].reasons == ("fault camera: camera not found",)
    assert by_device["w02-rate"].reasons == ("driver fault",)


def test_opening_check_all_healthy_is_ok() -> None:
    good = fleet.apply_heartbeat(Health(), hb())
    report = fleet.opening_check(
        "demo",
        date(2026, 3, 2),
        T0,
        T0,
        [DeviceSnapshot("demo", "f", "face_terminal", good)],
        POLICY,
    )
    assert report.ok and report.checked == 1


def test_seen_marks_unknown_device_online_but_not_an_offline_one() -> None:
    assert fleet.seen(Health(), T0).online is True
    off = replace(Health(), online=False)
    assert fleet.seen(off, T0).online is False


def test_quiet_hours_span_midnight_in_hall_zone() -> None:
    # rule DEV-2: devices are switched off at the end of the day
    policy = FleetPolicy(quiet_hours=("19:00", "07:00"))
    assert fleet.in_quiet_hours(datetime(2026, 3, 2, 19, 0, tzinfo=SH), SH, policy)
    assert fleet.in_quiet_hours(datetime(2026, 3, 2, 3, 0, tzinfo=SH), SH, policy)
    assert not fleet.in_quiet_hours(datetime(2026, 3, 2, 7, 0, tzinfo=SH), SH, policy)
    assert not fleet.in_quiet_hours(datetime(2026, 3, 2, 12, 0, tzinfo=SH), SH, policy)
    # 12:00 UTC is 20:00 in Shanghai
    assert fleet.in_quiet_hours(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), SH, policy)
    assert not fleet.in_quiet_hours(datetime(2026, 3, 2, 3, 0, tzinfo=SH), SH, POLICY)
    day = FleetPolicy(quiet_hours=("12:00", "13:00"))
    assert fleet.in_quiet_hours(datetime(2026, 3, 2, 12, 30, tzinfo=SH), SH, day)
    assert not fleet.in_quiet_hours(datetime(2026, 3, 2, 13, 0, tzinfo=SH), SH, day)


def test_held_kinds_open_nothing_but_still_resolve() -> None:
    conds = [fleet.Condition(AlertKind.OFFLINE, "off"), fleet.Condition("fault:x", "x")]
    changes = fleet.reconcile(set(), conds, held=fleet.QUIET_KINDS)
    assert [c.kind for c in changes.open] == ["fault:x"]
    kept = fleet.reconcile({AlertKind.OFFLINE, "fault:x"}, conds, held=fleet.QUIET_KINDS)
    assert kept.open == () and kept.resolve == ()  # an open offline alert stays open at night
    cleared = fleet.reconcile({AlertKind.OFFLINE}, [], held=fleet.QUIET_KINDS)
    assert cleared.resolve == (AlertKind.OFFLINE,)


def test_latest_config_report_wins() -> None:
    h = fleet.apply_config_applied(Health(), 5, T0)
    h = fleet.apply_config_applied(h, 1, T0 + timedelta(seconds=1))  # hub database rebuilt
    assert h.applied_config_version == 1 and h.applied_config_at == T0 + timedelta(seconds=1)
