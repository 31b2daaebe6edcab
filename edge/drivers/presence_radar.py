"""Presence at a seat from an HLK-LD2410 24 GHz radar on a UART (256000 baud, 8N1).

The radar reports target frames several times a second (edge/serialproto/ld2410.py). A seat is
present as soon as a frame shows a target and becomes absent only after `hold_s` seconds with
no target. A radar that goes quiet or sends garbage raises a device fault (radar_silent /
radar_garbled) and never an absence: absence is only ever decided on a received no-target
frame, and while faulted the seat's presence is frozen (DEV-4).

Backends: `real` opens `port` with pyserial; `simulated` opens a pseudo-terminal whose other
end is a RadarPeer that sends the real frame bytes (the same pyserial code reads them).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from edge.drivers.base import DeviceContext, Driver
from edge.drivers.serial_link import PtyPeer, SerialLink, close_line, open_line
from edge.serialproto.ld2410 import (
    CommandFrame,
    Garbage,
    Report,
    StreamDecoder,
    TargetState,
    encode_report,
)
from models.devices.presence_radar import KIND, PresenceRadarConfig
from models.events import Presence

logger = logging.getLogger(__name__)


class PresenceTracker:
    """Pure hold-time logic: present at once, absent after `hold_s` without a target."""

    def __init__(self, hold_s: float) -> None:
        self.hold_s = hold_s
        self.present: bool | None = None
        self._last_target: float | None = None
        self._since: float | None = None

    def report(self, now: float, target: bool) -> bool | None:
        """Feed one frame's verdict at monotonic time `now`; the new state when it changes."""
        if self._since is None:
            self._since = now
        if target:
            self._last_target = now
            if self.present is not True:
                self.present = True
                return True
            return None
        return self.tick(now)

    def tick(self, now: float) -> bool | None:
        """Check the hold timer; False when the seat has just become absent."""
        if self._since is None or self.present is False:
            return None
        last = self._last_target if self._last_target is not None else self._since
        if now - last >= self.hold_s:
            self.present = False
            return False
        return None

    def resume(self, now: float) -> None:
        """After a fault: restart the hold timer so no absence is built from the silent time."""
        self._since = now
        if self._last_target is not None:
            self._last_target = now


class RadarHealth:
    """Pure fault logic: silence and garbage become faults; a good frame clears them."""

    def __init__(self, silent_s: float, garbled_limit: int, now: float) -> None:
        self.silent_s = silent_s
        self.garbled_limit = garbled_limit
        self.last_good = now
        self.bad_run = 0
        self.active: str | None = None

    def good(self, now: float) -> tuple[str, bool] | None:
        """A valid frame; returns (code, False) when it clears a fault."""
        self.last_good = now
        self.bad_run = 0
        if self.active is not None:
            code, self.active = self.active, None
            return code, False
        return None

    def bad(self, now: float) -> tuple[str, bool] | None:
        """A garbled frame or run of garbage; (radar_garbled, True) when the limit is reached."""
        self.bad_run += 1
        if self.bad_run >= self.garbled_limit and self.active != "radar_garbled":
            self.active = "radar_garbled"
            return "radar_garbled", True
        return None

    def tick(self, now: float) -> tuple[str, bool] | None:
        """(radar_silent, True) when no valid frame came for `silent_s`."""
        if self.active is None and now - self.last_good >= self.silent_s:
            self.active = "radar_silent"
            return "radar_silent", True
        return None


class RadarPeer(PtyPeer):
    """A simulated LD2410 on a pseudo-terminal: sends real report frames at a fixed period."""

    def __init__(self, period_s: float = 0.1, present: bool = False) -> None:
        super().__init__(name="ld2410-peer", nonblocking=True)
        self.period_s = period_s
        self.report = self._report_for(present)
        self.silent = False
        self.garbage: bytes | None = None
        self.sent = 0

    @staticmethod
    def _report_for(present: bool, distance_cm: int = 60) -> Report:
        if not present:
            return Report(TargetState.NONE)
        return Report(
            TargetState.STATIONARY,
            stationary_cm=distance_cm,
            stationary_energy=55,
            detection_cm=distance_cm,
        )

    def set_present(self, present: bool, distance_cm: int = 60) -> None:
        """Someone sits down (True) or leaves (False)."""
        self.report = self._report_for(present, distance_cm)

    def start(self) -> RadarPeer:
        """Begin sending frames."""
        self._spawn(self._run)
        return self

    def write(self, data: bytes) -> None:
        """Put raw bytes on the line (dropped when nobody reads and the pty is full)."""
        self._write_quietly(data)

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            if self.silent:
                continue
            self.write(self.garbage if self.garbage is not None else encode_report(self.report))
            self.sent += 1


@dataclass
class _Counters:
    frames: int = 0
    garbage: int = 0


class PresenceRadarDriver(Driver[PresenceRadarConfig]):
    """Reads LD2410 frames, emits Presence on changes, faults on silence or garbage."""

    kind = KIND
    Config = PresenceRadarConfig

    def __init__(self, ctx: DeviceContext, config: PresenceRadarConfig) -> None:
        super().__init__(ctx, config)
        self.seat = ""
        self.peer: RadarPeer | None = None
        self.counters = _Counters()
        self._link: SerialLink | None = None
        self._fault: str | None = None

    def start(self) -> None:
        """Open the port (creating the simulated peer first if asked) and start reading."""
        seat = self.config.seat or self.ctx.seat
        if seat is None:
            raise ValueError(f"{self.ctx.device}: a presence radar needs a seat")
        self.seat = seat
        cfg = self.config
        self.peer, self._link = open_line(
            cfg.backend,
            cfg.port,
            cfg.baud,
            peer=lambda: RadarPeer(cfg.sim_period_s, cfg.sim_present).start(),
            timeout=0.05,
            missing="presence_radar with the real backend needs `port`",
        )
        self._start_reading(self._link)
        port = self._link.port
        logger.info("radar %s reading %s at %d baud", self.ctx.device, port, cfg.baud)

    def stop(self) -> None:
        """Stop reading and close the port and the simulated peer; safe to call twice."""
        close_line(self._link, self.peer)
        self._link, self.peer = None, None

    def simulate_present(self, present: bool, distance_cm: int = 60) -> None:
        """Simulated backend: someone sits down at (True) or leaves (False) the seat."""
        if self.peer is None:
            raise RuntimeError("the radar is not running on the simulated backend")
        self.peer.set_present(present, distance_cm)

    def status(self) -> str:
        """fault while the radar is silent or garbled."""
        return "fault" if self._fault else "ok"

    def _start_reading(self, link: SerialLink) -> None:
        """Feed every read (empty ones too: the silence timer) through the radar's logic."""
        decoder = StreamDecoder()
        tracker = PresenceTracker(self.config.hold_s)
        health = RadarHealth(self.config.silent_s, self.config.garbled_limit, time.monotonic())

        def on_data(chunk: bytes) -> None:
            now = time.monotonic()
            for item in decoder.feed(chunk):
                self._frame(item, health, tracker, now)
            # absence is decided only on a received no-target frame, never on silence
            self._change(health.tick(now), tracker, now)

        def on_error(exc: Exception) -> None:  # a vanished USB adapter: report, keep trying
            logger.warning("radar %s read failed: %s", self.ctx.device, exc)
            on_data(b"")

        link.start_reading(on_data, on_error, name=f"radar-{self.seat}", chunk=256, retry_s=0.2)

    def _frame(
        self,
        item: Report | Garbage | CommandFrame,
        health: RadarHealth,
        tracker: PresenceTracker,
        now: float,
    ) -> None:
        if isinstance(item, Report):
            self.counters.frames += 1
            self._change(health.good(now), tracker, now)
            if self._fault is None:
                self._presence(tracker.report(now, self._seen(item)), item)
        elif isinstance(item, Garbage):
            self.counters.garbage += 1
            logger.debug("radar %s garbage: %s", self.ctx.device, item.reason)
            self._change(health.bad(now), tracker, now)
        elif isinstance(item, CommandFrame):
            logger.debug("radar %s skipped a command frame", self.ctx.device)

    def _seen(self, report: Report) -> bool:
        """A target counts when its energy reaches `min_energy`."""
        if not report.target:
            return False
        energy = max(report.moving_energy, report.stationary_energy)
        return energy >= self.config.min_energy

    def _presence(self, change: bool | None, report: Report | None) -> None:
        if change is None:
            return
        distance = report.distance_cm if report is not None and change else None
        logger.info("seat %s %s", self.seat, "present" if change else "absent")
        self.ctx.emit(Presence(seat=self.seat, present=change, distance_cm=distance))

    def _change(self, fault: tuple[str, bool] | None, tracker: PresenceTracker, now: float) -> None:
        if fault is None:
            return
        code, active = fault
        if active:
            if self._fault is not None and self._fault != code:
                self.ctx.fault(self._fault, "superseded", active=False)
            self._fault = code
            message = (
                f"no valid frame for {self.config.silent_s:.1f} s"
                if code == "radar_silent"
                else "radar sends garbled frames"
            )
            logger.warning("radar %s fault %s", self.ctx.device, code)
            self.ctx.fault(code, message, active=True)
        else:
            self._fault = None
            tracker.resume(now)
            self.ctx.fault(code, "radar reports again", active=False)


DRIVER = PresenceRadarDriver
