"""The LD2410 radar driver against a pty peer that sends real frames (hold time, faults)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from edge.drivers import driver_class
from edge.drivers.presence_radar import (
    PresenceRadarConfig,
    PresenceRadarDriver,
    PresenceTracker,
    RadarHealth,
    RadarPeer,
)
from edge.serialproto.ld2410 import Report, TargetState, encode_report
from models.events import Presence
from tests.support.device_context import RecordingContext
from tests.support.waiting import wait_until as poll


def radar_context(device: str = "w01-a-radar", seat: str | None = "w01-a") -> RecordingContext:
    """A context for the radar at a seat of window w01 (the device id's first part)."""
    return RecordingContext(device, seat=seat, window=device.split("-")[0])


def wait_for(cond: Callable[[], bool]) -> None:
    """Poll with this module's deadline of 10 s."""
    poll(cond, timeout=10.0)


@pytest.fixture
def peer() -> Iterator[RadarPeer]:
    p = RadarPeer(period_s=0.05, present=False).start()
    yield p
    p.close()


def start_driver(peer: RadarPeer, ctx: RecordingContext, **settings: object) -> PresenceRadarDriver:
    cfg = PresenceRadarConfig.model_validate(
        {"backend": "real", "port": peer.port, "hold_s": 0.4, "silent_s": 0.6, **settings}
    )
    driver = PresenceRadarDriver(ctx, cfg)
    driver.start()
    return driver


def test_registered_as_the_presence_radar_driver() -> None:
    assert driver_class("presence_radar") is PresenceRadarDriver


def test_presence_on_and_off_with_hold_time(peer: RadarPeer) -> None:
    ctx = radar_context()
    driver = start_driver(peer, ctx)
    try:
        peer.set_present(True, distance_cm=75)
        wait_for(lambda: ctx.presences() == [True])
        first = next(e for e in ctx.snapshot() if isinstance(e, Presence))
        assert first.seat == "w01-a" and first.distance_cm == 75
        peer.set_present(False)
        wait_for(lambda: ctx.presences() == [True, False])
        last_frames = driver.counters.frames
        wait_for(lambda: driver.counters.frames > last_frames + 3)
        assert ctx.presences() == [True, False] and ctx.fault_states() == []
    finally:
        driver.stop()
        driver.stop()  # safe twice


def test_a_short_gap_within_hold_time_is_no_absence(peer: RadarPeer) -> None:
    ctx = radar_context()
    driver = start_driver(peer, ctx, hold_s=30.0)
    try:
        peer.set_present(True)
        wait_for(lambda: ctx.presences() == [True])
        peer.set_present(False)
        start = driver.counters.frames
        wait_for(lambda: driver.counters.frames > start + 10)  # 10 frames with no target
        peer.set_present(True)
        wait_for(lambda: driver.counters.frames > start + 15)
        assert ctx.presences() == [True]
    finally:
        driver.stop()


def test_garbage_is_a_fault_never_an_absence(peer: RadarPeer) -> None:
    ctx = radar_context()
    driver = start_driver(peer, ctx, silent_s=30.0)
    try:
        peer.set_present(True)
        wait_for(lambda: ctx.presences() == [True])
        peer.garbage = bytes(range(0x10, 0x30))
        wait_for(lambda: ("radar_garbled", True) in ctx.fault_states())
        assert driver.status() == "fault"
        start = driver.counters.garbage
        wait_for(lambda: driver.counters.garbage > start + 12)  # well past hold_s of garbage
        assert ctx.presences() == [True]
        peer.garbage = None
        wait_for(lambda: ("radar_garbled", False) in ctx.fault_states())
        assert driver.status() == "ok" and ctx.presences() == [True]
    finally:
        driver.stop()


def test_corrupt_frames_are_garbled(peer: RadarPeer) -> None:
    ctx = radar_context()
    driver = start_driver(peer, ctx, silent_s=30.0)
    try:
        bad = bytearray(encode_report(Report(TargetState.NONE)))
        bad[8] = 0x07  # target state out of range
        peer.garbage = bytes(bad)
        wait_for(lambda: ("radar_garbled", True) in ctx.fault_states())
        assert ctx.presences() == []
    finally:
        driver.stop()


def test_silence_is_a_fault_never_an_absence(peer: RadarPeer) -> None:
    ctx = radar_context()
    driver = start_driver(peer, ctx)
    try:
        peer.set_present(True)
        wait_for(lambda: ctx.presences() == [True])
        peer.silent = True
        wait_for(lambda: ("radar_silent", True) in ctx.fault_states())
        assert ctx.presences() == [True]
        peer.set_present(False)
        peer.silent = False
        wait_for(lambda: ("radar_silent", False) in ctx.fault_states())
        # absence after recovery needs a full hold time of valid no-target frames
        wait_for(lambda: ctx.presences() == [True, False])
        faults = ctx.fault_states()
        assert faults == [("radar_silent", True), ("radar_silent", False)]
    finally:
        driver.stop()


def test_simulated_backend_speaks_real_frames() -> None:
    ctx = radar_context("w04-a-radar", seat="w04-a")
    cfg = PresenceRadarConfig(backend="simulated", sim_present=True, sim_period_s=0.05, hold_s=0.3)
    driver = PresenceRadarDriver(ctx, cfg)
    driver.start()
    try:
        wait_for(lambda: ctx.presences() == [True])
        driver.simulate_present(False)
        wait_for(lambda: ctx.presences() == [True, False])
        body = ctx.snapshot()[0]
        assert isinstance(body, Presence) and body.seat == "w04-a"
    finally:
        driver.stop()


def test_tracker_and_health_are_pure() -> None:
    t = PresenceTracker(hold_s=5)
    assert t.report(0.0, False) is None
    assert t.report(4.9, False) is None
    assert t.report(5.0, False) is False  # absent only after the hold time
    assert t.report(6.0, True) is True
    assert t.tick(10.9) is None and t.tick(11.0) is False
    h = RadarHealth(silent_s=3, garbled_limit=2, now=0.0)
    assert h.tick(2.9) is None and h.tick(3.0) == ("radar_silent", True)
    assert h.good(3.1) == ("radar_silent", False)
    assert h.bad(3.2) is None and h.bad(3.3) == ("radar_garbled", True)
    assert h.bad(3.4) is None


def test_a_radar_without_a_seat_refuses_to_start() -> None:
    driver = PresenceRadarDriver(radar_context(seat=None), PresenceRadarConfig())
    with pytest.raises(ValueError, match="needs a seat"):
        driver.start()


def test_config_seat_overrides_the_layout(peer: RadarPeer) -> None:
    ctx = radar_context()
    driver = start_driver(peer, ctx, seat="w01-b")
    try:
        peer.set_present(True)
        wait_for(lambda: ctx.presences() == [True])
        assert {e.seat for e in ctx.snapshot() if isinstance(e, Presence)} == {"w01-b"}
    finally:
        driver.stop()


def test_config_refuses_unknown_keys() -> None:
    with pytest.raises(ValueError):
        PresenceRadarConfig.model_validate({"hold": 3})
