"""Simulated citizens and staff acting on the demo hall's simulated devices, in real time.

Citizens take numbers at the kiosk; each window calls, serves and finishes them from its keypad;
citizens rate the service on the rating device; staff now and then leave their seat, most of
them with the away sign on the counter (POST-2), some for longer than 10 minutes (POST-1).
Everything goes through the devices' own simulated backends (pty peers, mock GPIO pins), so
the hub sees exactly what real devices would send.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edge.agent import Agent
    from models.layout import Hall

logger = logging.getLogger(__name__)
LEVEL_WEIGHTS = {5: 60, 4: 25, 3: 9, 2: 4, 1: 2}
"""How demo citizens rate: mostly 非常满意, a few 不满意 so follow-ups appear."""


@dataclass
class WindowPlay:
    """Where a window is in its serve cycle."""

    state: str = "idle"  # idle -> called -> serving -> finished
    ticks: int = 0


@dataclass
class SeatPlay:
    """Whether a seat's staff member is on post, and for how long they stay away."""

    away_ticks: int = 0
    with_sign: bool = True


class Scenario:
    """Drives the demo hall's simulated devices from one thread."""

    def __init__(
        self,
        hall: Hall,
        agents: list[Agent],
        hub: Any = None,
        *,
        tick_s: float = 3.0,
        seed: int | None = None,
    ) -> None:
        self.hall, self.hub, self.tick_s = hall, hub, tick_s
        self.drivers: dict[str, Any] = {
            device: runtime.driver for a in agents for device, runtime in a.runtimes.items()
        }
        self.rng = random.Random(seed)
        self.next_levels: list[int] = []  # levels the next citizens rate (demo episodes)
        self.windows = {w.id: WindowPlay() for w in hall.windows}
        self.seats = {s: SeatPlay() for w in hall.windows for s in w.seats}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Scenario:
        """Begin acting every tick_s seconds."""
        self._thread = threading.Thread(target=self._run, name="demo-scenario", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop acting; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                self.step()
            except Exception:  # a demo hiccup must not end the demo
                logger.exception("demo scenario step failed")

    def _driver(self, device_id: str) -> Any:
        return self.drivers.get(device_id)

    def step(self) -> None:
        """One tick: a citizen may arrive, each window moves on, each seat may change."""
        kiosk = self._driver("hall-kiosk")
        if kiosk is not None and self.rng.random() < 0.5 and self.hall.services:
            service = self.rng.choice(self.hall.services).code
            kiosk.take(service, green_channel=self.rng.random() < 0.1)
        for window in self.hall.windows:
            self._window_step(window.id)
        for seat in self.seats:
            self._seat_step(seat)

    def _press(self, window_id: str, action: str) -> None:
        keypad = self._driver(f"{window_id}-keypad")
        if keypad is not None and keypad.peer is not None:
            keypad.peer.press(action)

    def _window_step(self, window_id: str) -> None:
        play = self.windows[window_id]
        play.ticks += 1
        if play.state == "idle" and self.rng.random() < 0.4:
            self._press(window_id, "next")
            play.state, play.ticks = "called", 0
        elif play.state == "called" and play.ticks >= 1:
            self._press(window_id, "start")
            play.state, play.ticks = "serving", 0
        elif play.state == "serving" and play.ticks >= self.rng.randint(3, 10):
            self._press(window_id, "finish")
            play.state, play.ticks = "finished", 0
        elif play.state == "finished":
            self._rate(window_id)
            play.state, play.ticks = "idle", 0

    def _rate(self, window_id: str) -> None:
        rating = self._driver(f"{window_id}-rate")
        if rating is None or getattr(rating, "peer", None) is None or self.rng.random() < 0.1:
            return  # some citizens walk away without rating
        if self.next_levels:  # an episode asked for this one (hub.demo.citizens)
            level = self.next_levels.pop(0)
        else:
            level = self.rng.choices(list(LEVEL_WEIGHTS), weights=list(LEVEL_WEIGHTS.values()))[0]
        # every dimension the hall's scheme asks (RATE-1); a dissatisfied citizen leaves a
        # number for the same-day call back (RATE-3)
        phone = f"1380013{self.rng.randint(0, 9999):04d}" if level <= 2 else ""
        rating.peer.rate(level, phone=phone)

    def _seat_step(self, seat: str) -> None:
        play = self.seats[seat]
        sign, radar = self._driver(f"{seat}-sign"), self._driver(f"{seat}-radar")
        if play.away_ticks > 0:
            play.away_ticks -= 1
            if play.away_ticks == 0:  # back on post
                if radar is not None:
                    radar.simulate_present(True)
                if sign is not None and play.with_sign:
                    sign.simulate_remove()
            return
        if self.rng.random() < 0.01:  # leaves the seat: usually short, sometimes too long
            minutes = self.rng.choice([2, 5, 8, 12])
            play.away_ticks = max(1, int(minutes * 60 / self.tick_s))
            play.with_sign = self.rng.random() < 0.85
            if sign is not None and play.with_sign:
                sign.simulate_place()
            if radar is not None:
                radar.simulate_present(False)
