"""The ticket kiosk (取号机), simulated: a citizen takes a number and TicketIssued is emitted.

The hub assigns the number and sends PrintTicket to the hall printer. `take()` is the touch of
a service button; with `sim_interval_s` the kiosk also issues tickets by itself for the demo.
There is no real backend: a real touch-screen kiosk issues tickets through POST /api/queue/tickets.
"""

from __future__ import annotations

import logging
import random
import threading

from edge.drivers.base import DeviceContext, Driver
from models.devices.kiosk import KIND, KioskConfig
from models.events import TicketIssued

logger = logging.getLogger(__name__)


class KioskDriver(Driver[KioskConfig]):
    """Emits TicketIssued when a citizen takes a number."""

    kind = KIND
    Config = KioskConfig

    def __init__(self, ctx: DeviceContext, config: KioskConfig) -> None:
        super().__init__(ctx, config)
        self.taken = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rng = random.Random(config.seed)

    def start(self) -> None:
        """Start the demo citizens, if configured."""
        if self.config.backend == "real":
            raise ValueError("kiosk: there is no real backend; real kiosks use the queue API")
        self._stop.clear()
        if self.config.sim_interval_s and self.config.services:
            self._thread = threading.Thread(
                target=self._run, name=f"kiosk-{self.ctx.device}", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop the demo citizens; safe twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def take(self, service: str, *, green_channel: bool = False) -> TicketIssued:
        """A citizen takes a number for a service (QUEUE-1; green channel QUEUE-2)."""
        if self.config.services and service not in self.config.services:
            raise ValueError(f"this kiosk does not offer {service!r}")
        body = TicketIssued(service=service, green_channel=green_channel)
        self.ctx.emit(body)
        self.taken += 1
        return body

    def _run(self) -> None:
        assert self.config.sim_interval_s is not None
        while not self._stop.wait(self.config.sim_interval_s):
            service = self._rng.choice(self.config.services)
            self.take(service, green_channel=self._rng.random() < self.config.green_share)


DRIVER = KioskDriver
