"""Away sign (离岗告知牌): a switch under the sign's spot on the counter, read through gpiozero.

Placing the sign presses the switch: `away_sign_placed`; taking it back releases it:
`away_sign_removed` (rule POST-2). A change counts once the switch has held its new state for
`debounce_s`. The state at start is reported too, so the hub knows it after a restart.
Backends: `real` uses gpiozero's default pin factory (a Raspberry Pi's GPIO); `simulated` uses
gpiozero's MockFactory, driven by simulate_place() / simulate_remove().
"""

from __future__ import annotations

import threading

from gpiozero import Button
from gpiozero.pins.mock import MockFactory, MockPin

from edge.drivers.base import DeviceContext, Driver
from models.devices.away_sign import KIND, AwaySignConfig
from models.events import AwaySign, EventType


class AwaySignDriver(Driver[AwaySignConfig]):
    """Reports the away sign being placed on and taken off a seat's counter (rule POST-2)."""

    kind = KIND
    Config = AwaySignConfig

    def __init__(self, ctx: DeviceContext, config: AwaySignConfig) -> None:
        super().__init__(ctx, config)
        self._lock = threading.Lock()
        self._mock: MockFactory | None = None  # the simulated switch, kept across restarts
        self._seat = ""
        self._button: Button | None = None
        self._timer: threading.Timer | None = None
        self._placed: bool | None = None  # as last reported; kept across config changes

    def start(self) -> None:
        """Open the pin and report the sign's current state."""
        c = self.config
        seat = c.seat or self.ctx.seat
        if seat is None:
            raise ValueError(f"{self.ctx.device}: an away sign needs a seat")
        self._seat = seat
        if c.backend == "simulated" and self._mock is None:
            self._mock = MockFactory()
        factory = self._mock if c.backend == "simulated" else None  # None: the Pi's GPIO
        self._button = Button(
            c.pin,
            pull_up={"up": True, "down": False, "off": None}[c.pull],
            active_state=c.active_high,
            bounce_time=None,
            pin_factory=factory,
        )
        self._button.when_pressed = self._changed
        self._button.when_released = self._changed
        self._settle()

    def stop(self) -> None:
        """Release the pin (safe to call twice)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            if self._button is not None:
                self._button.close()
            self._button = self._timer = None

    def _changed(self) -> None:
        """An edge on the pin: report now, or once it has held for debounce_s."""
        if self.config.debounce_s == 0:
            self._settle()
            return
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.config.debounce_s, self._settle)
            self._timer.daemon = True
            self._timer.start()

    def _settle(self) -> None:
        """Report the switch's state if it differs from the last one reported (rule POST-2)."""
        with self._lock:
            if self._button is None or self._button.is_pressed == self._placed:
                return
            self._placed = bool(self._button.is_pressed)
            kind = EventType.AWAY_SIGN_PLACED if self._placed else EventType.AWAY_SIGN_REMOVED
            self.ctx.emit(AwaySign(seat=self._seat), type=kind)

    @property
    def placed(self) -> bool | None:
        """The state last reported: True placed, False removed, None before the first report."""
        return self._placed

    def status(self) -> str:
        """'ok' while the pin is open, 'fault' otherwise."""
        return "ok" if self._button is not None else "fault"

    # ---- simulated backend -----------------------------------------------------------------

    @property
    def mock_pin(self) -> MockPin:
        """The simulated switch's pin (simulated backend only)."""
        if self._button is None or not isinstance(self._button.pin, MockPin):
            raise RuntimeError("the away sign is not running on the simulated backend")
        return self._button.pin

    def simulate_place(self) -> None:
        """Put the simulated sign on the counter (drive the pin to its active level)."""
        self._drive(active=True)

    def simulate_remove(self) -> None:
        """Take the simulated sign back."""
        self._drive(active=False)

    def _drive(self, *, active: bool) -> None:
        active_low = self.config.pull == "up" or self.config.active_high is False
        if active == active_low:
            self.mock_pin.drive_low()
        else:
            self.mock_pin.drive_high()


DRIVER = AwaySignDriver
