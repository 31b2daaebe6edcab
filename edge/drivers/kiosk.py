"""The ticket kiosk (取号机): a citizen takes a number; the kiosk shows and says what became of it.

`take()` is the touch of a service button: TicketIssued is emitted and the hub numbers the
ticket and sends it to the printer. The hub then sends ShowTicket: the kiosk shows the number
(large, with a QR code of it for a phone, when it was not printed) and, when the printer failed,
says so aloud through its speaker (rule DEV-4; espeak-ng as edge/drivers/voice.py).
Backends: `real` keeps a kiosk-mode browser on the hub's kiosk page (the touch screen: the page
issues numbers and takes an optional phone number for a call back) and speaks on the sound
device; `simulated` keeps what the screen shows and renders the speech to WAV files, and with
`sim_interval_s` issues tickets by itself for the demo.
"""

from __future__ import annotations

import logging
import random
import shutil
import threading

from edge.drivers.base import CommandOutcome, DeviceContext, Driver
from edge.drivers.hall_display import HallDisplayDriver
from edge.drivers.voice import VoiceDriver
from models.commands import Announce, Command, ShowTicket
from models.devices.hall_display import HallDisplayConfig
from models.devices.kiosk import KIND, KioskConfig
from models.events import TicketIssued

logger = logging.getLogger(__name__)


class KioskDriver(Driver[KioskConfig]):
    """Emits TicketIssued when a citizen takes a number; shows and says ShowTicket."""

    kind = KIND
    Config = KioskConfig

    def __init__(self, ctx: DeviceContext, config: KioskConfig) -> None:
        super().__init__(ctx, config)
        self.taken = 0
        self.screen: ShowTicket | None = None
        self.shown: list[ShowTicket] = []
        self.voice: VoiceDriver | None = None
        self.browser: HallDisplayDriver | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the screen (real: the browser), the speaker and the demo citizens."""
        cfg = self.config
        self._stop.clear()
        if cfg.backend == "real":
            self.browser = HallDisplayDriver(
                self.ctx, HallDisplayConfig(backend="real", url=cfg.url, browser=cfg.browser)
            )
            self.browser.start()
        if cfg.speak:
            if shutil.which(cfg.voice.espeak) is None:
                self.ctx.fault("kiosk_voice_missing", f"{cfg.voice.espeak} is not installed")
            else:
                voice_cfg = cfg.voice.model_copy(update={"backend": cfg.backend})
                self.voice = VoiceDriver(self.ctx, voice_cfg)
                self.voice.start()
        if cfg.sim_interval_s and cfg.services and cfg.backend == "simulated":
            self._thread = threading.Thread(
                target=self._run, name=f"kiosk-{self.ctx.device}", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop the demo citizens, the speaker and the screen; safe twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self.voice is not None:
            self.voice.stop()
            self.voice = None
        if self.browser is not None:
            self.browser.stop()
            self.browser = None

    def status(self) -> str:
        """ok; fault when the real screen's browser is down."""
        return self.browser.status() if self.browser is not None else "ok"

    def take(self, service: str, *, green_channel: bool = False) -> TicketIssued:
        """A citizen takes a number for a service (QUEUE-1; green channel QUEUE-2)."""
        if self.config.services and service not in self.config.services:
            raise ValueError(f"this kiosk does not offer {service!r}")
        body = TicketIssued(service=service, green_channel=green_channel)
        self.ctx.emit(body)
        self.taken += 1
        return body

    def handle(self, command: Command) -> CommandOutcome:
        """Show a ShowTicket, and say it when the ticket was not printed (rule DEV-4)."""
        body = command.body
        if not isinstance(body, ShowTicket):
            return CommandOutcome(False, f"kiosk does not take {command.type.value}")
        with self._lock:
            self.screen = body
            self.shown = [*self.shown[-49:], body]
        spoken = False
        if body.speech and self.voice is not None:  # rule DEV-4: the citizen is told aloud
            self.voice.announce(Announce(text=body.speech))
            spoken = True
        if not body.printed:
            logger.warning(
                "kiosk %s: %s not printed (%s); shown large with a QR code",
                self.ctx.device,
                body.ticket,
                body.fault,
            )
        return CommandOutcome(True, f"shown {body.ticket}" + (", spoken" if spoken else ""))

    def _run(self) -> None:
        assert self.config.sim_interval_s is not None
        while not self._stop.wait(self.config.sim_interval_s):
            service = self._rng.choice(self.config.services)
            self.take(service, green_channel=self._rng.random() < self.config.green_share)


DRIVER = KioskDriver
