"""Simulated citizens and staff acting on the demo hall's simulated devices, at a hall's pace.

Citizens take numbers at the kiosk, about one a minute, for the services the windows serve.
A window on post calls the next citizen when one waits, serves them for two to eight minutes
and the citizen rates it. Staff leave their seat about once an hour for two to seven minutes,
with the away sign on the counter (POST-2), only when no citizen is at their window (POST-1)
and never while the other seat of their window is away (POST-5); a window whose staff are all
away calls nobody (POST-4). One or two times an hour someone breaks a rule: stays away too long
(POST-1) or leaves without the sign (POST-2).

Everything goes through the devices' own simulated backends (pty peers, mock GPIO pins), so
the hub sees exactly what real devices would send. `pace` runs the hall's clock faster (tests,
`hallkeeper demo --pace 10`); the scenario's own clock is `elapsed_s`.
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
ARRIVAL_MEAN_S = 60.0
"""A citizen takes a number about once a minute."""
SERVICE_S = (120.0, 480.0)
"""A service takes two to eight minutes."""
CALL_PAUSE_S = (10.0, 45.0)
"""Between two citizens a window pauses a little before calling the next."""
RATE_WAIT_S = 120.0
"""A citizen rates once the device asks (the hub's finished service reached it: it shows the
dimensions to press, RATE-1), or after this long anyway (a press with no prompt is still a
rating of the service, only of the overall dimension)."""
AWAYS_PER_HOUR = 1.0
"""Ordinary, compliant away periods of a staffed seat per hour."""
AWAY_S = (120.0, 420.0)
"""An ordinary away period: two to seven minutes (POST-1 allows ten)."""
VIOLATIONS_PER_HOUR = 1.5
"""Rule-breaking away periods in the whole hall per hour (one or two)."""
TOO_LONG_S = (690.0, 840.0)
"""A POST-1 violation: eleven and a half to fourteen minutes away."""
NO_SIGN_S = (150.0, 270.0)
"""A POST-2 violation: away without the sign for two and a half to four and a half minutes."""


@dataclass
class WindowPlay:
    """Where a window is in its serve cycle (times on the scenario's clock)."""

    state: str = "idle"  # idle -> called -> serving -> rating -> idle
    until: float = 0.0
    asked: int = 0
    """Rating prompts the window's device had shown when the service finished."""


@dataclass
class SeatPlay:
    """Whether a seat's staff member is away, until when, and how (sign, rule broken)."""

    away_until: float | None = None
    with_sign: bool = True
    breaks: str = ""  # "", "POST-1" or "POST-2"
    leaving: tuple[float, bool, str] | None = None
    """About to leave (for how long, with the sign, the rule it breaks) once the citizen at the
    window is served: the window calls nobody new meanwhile."""


class Scenario:
    """Drives the demo hall's simulated devices from one thread."""

    def __init__(
        self,
        hall: Hall,
        agents: list[Agent],
        hub: Any = None,
        *,
        tick_s: float = 3.0,
        pace: float = 1.0,
        seed: int | None = None,
    ) -> None:
        self.hall, self.hub, self.tick_s, self.pace = hall, hub, tick_s, pace
        self.drivers: dict[str, Any] = {
            device: runtime.driver for a in agents for device, runtime in a.runtimes.items()
        }
        self.rng = random.Random(seed)
        self.next_levels: list[int] = []  # levels the next citizens rate (demo episodes)
        self.windows = {w.id: WindowPlay() for w in hall.windows}
        self.seats = {s: SeatPlay() for w in hall.windows for s in w.seats}
        self.window_of = {s: w.id for w in hall.windows for s in w.seats}
        self.weights = {
            s.code: sum(s.code in w.services for w in hall.windows) for s in hall.services
        }
        self.elapsed_s = 0.0
        self.next_violation_s = self._violation_gap()
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

    def _chance(self, per_hour: float, dt: float) -> bool:
        return self.rng.random() < per_hour * dt / 3600.0

    def _violation_gap(self) -> float:
        return self.rng.expovariate(VIOLATIONS_PER_HOUR / 3600.0)

    def step(self) -> None:
        """One tick of the hall's clock: a citizen may arrive, windows and seats move on."""
        dt = self.tick_s * self.pace
        if self.elapsed_s == 0.0:
            self._arrive()
        self.elapsed_s += dt
        now = self.elapsed_s
        kiosk = self._driver("hall-kiosk")
        if kiosk is not None and self._chance(3600.0 / ARRIVAL_MEAN_S, dt):
            codes = [c for c, n in self.weights.items() if n]
            service = self.rng.choices(codes, weights=[self.weights[c] for c in codes])[0]
            kiosk.take(service, green_channel=self.rng.random() < 0.1)
        serving = self._serving()
        for window in self.hall.windows:
            self._window_step(window.id, now, serving)
        for seat in self.seats:
            self._seat_step(seat, now)
        if now >= self.next_violation_s:
            self._break_a_rule(now)

    # ---- windows ----

    def _serving(self) -> dict[str, str | None] | None:
        """Window id -> the ticket its counter shows, from the hub's queue (None: unknown)."""
        for part in getattr(self.hub, "areas", None) or []:
            queue = (part.state.get("queues") or {}).get(self.hall.id)
            if queue is not None:
                return {c["window"]: c["current"] for c in queue.snapshot()["counters"]}
        return None

    def _press(self, window_id: str, action: str) -> None:
        keypad = self._driver(f"{window_id}-keypad")
        if keypad is not None and keypad.peer is not None:
            keypad.peer.press(action)

    def _mates(self, seat: str) -> list[str]:
        """The seats of the same window (itself included)."""
        return [s for s, w in self.window_of.items() if w == self.window_of[seat]]

    def _may_call(self, window_id: str) -> bool:
        """Someone of the window is on post (POST-4) and nobody is about to leave."""
        seats = [self.seats[s] for s, w in self.window_of.items() if w == window_id]
        on_post = any(p.away_until is None for p in seats)
        return on_post and not any(p.leaving for p in seats)

    def _window_step(
        self, window_id: str, now: float, serving: dict[str, str | None] | None
    ) -> None:
        play = self.windows[window_id]
        if now < play.until:
            return
        if play.state == "idle" and self._may_call(window_id):  # rule POST-4
            self._press(window_id, "next")
            play.state, play.until = "called", now + self.rng.uniform(10.0, 25.0)
        elif play.state == "called":
            if serving is not None and not serving.get(window_id):
                play.state, play.until = "idle", now + self.rng.uniform(*CALL_PAUSE_S)
                return  # nobody was waiting for this window
            self._press(window_id, "start")
            play.state, play.until = "serving", now + self.rng.uniform(*SERVICE_S)
        elif play.state == "serving":
            self._press(window_id, "finish")
            play.state, play.asked = "rating", self._asked(window_id) or 0
        elif play.state == "rating":
            asked = self._asked(window_id)
            if asked is not None and asked == play.asked and now < play.until + RATE_WAIT_S:
                return  # the device has not asked this citizen to rate yet
            self._rate(window_id)
            play.state, play.until = "idle", now + self.rng.uniform(*CALL_PAUSE_S)

    def _asked(self, window_id: str) -> int | None:
        """How often the window's rating device has asked a citizen to rate (the PROMPTs its
        simulated device got); None when there is no device that tells."""
        from edge.serialproto.rating import PromptFrame

        rating = self._driver(f"{window_id}-rate")
        received = getattr(getattr(rating, "peer", None), "received", None)
        if received is None:
            return None
        return sum(isinstance(f, PromptFrame) for f in list(received))

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

    # ---- seats ----

    def _arrive(self) -> None:
        """The staff sit down at their seats as the demo begins."""
        for seat in self.seats:
            radar = self._driver(f"{seat}-radar")
            if radar is not None:
                radar.simulate_present(True)

    def _may_plan(self, seat: str) -> bool:
        """Nobody of the window is away or about to leave (POST-5: never two away)."""
        mates = [self.seats[s] for s in self._mates(seat)]
        return all(p.away_until is None and p.leaving is None for p in mates)

    def _leave(self, seat: str, until: float, *, with_sign: bool, breaks: str = "") -> None:
        play = self.seats[seat]
        play.away_until, play.with_sign, play.breaks = until, with_sign, breaks
        sign, radar = self._driver(f"{seat}-sign"), self._driver(f"{seat}-radar")
        if sign is not None and with_sign:
            sign.simulate_place()
        if radar is not None:
            radar.simulate_present(False)
        if breaks:
            logger.info("demo: %s leaves and breaks %s", seat, breaks)

    def _seat_step(self, seat: str, now: float) -> None:
        play = self.seats[seat]
        if play.away_until is not None:
            if now >= play.away_until:  # back on post
                sign, radar = self._driver(f"{seat}-sign"), self._driver(f"{seat}-radar")
                if radar is not None:
                    radar.simulate_present(True)
                if sign is not None and play.with_sign:
                    sign.simulate_remove()
                play.away_until, play.breaks = None, ""
            return
        if play.leaving is not None:
            if self.windows[self.window_of[seat]].state == "idle":  # no citizen now: POST-1
                for_s, with_sign, breaks = play.leaving
                play.leaving = None
                self._leave(seat, now + for_s, with_sign=with_sign, breaks=breaks)
            return
        if self._may_plan(seat) and self._chance(AWAYS_PER_HOUR, self.tick_s * self.pace):
            play.leaving = (self.rng.uniform(*AWAY_S), True, "")

    def _break_a_rule(self, now: float) -> None:
        """Someone stays away too long (POST-1) or leaves without the sign (POST-2)."""
        free = [s for s in self.seats if self._may_plan(s)]
        if not free:
            return  # try again next tick
        seat = self.rng.choice(free)
        if self.rng.random() < 0.5:
            self.seats[seat].leaving = (self.rng.uniform(*TOO_LONG_S), True, "POST-1")
        else:
            self.seats[seat].leaving = (self.rng.uniform(*NO_SIGN_S), False, "POST-2")
        self.next_violation_s = now + self._violation_gap()
