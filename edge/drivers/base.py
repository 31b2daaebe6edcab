"""The driver interface: one file per device kind, a real and a simulated backend.

A driver's config model is its kind's, in models/devices/<kind>.py (shared with the hub).

A driver never touches MQTT, the outbox or the clock directly: it reports facts through its
DeviceContext and receives commands and new configs from the runtime.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Generic, Literal, Protocol, TypeVar
from zoneinfo import ZoneInfo

from models.commands import Command
from models.devices import DeviceConfigBase
from models.events import EventBody, EventType

logger = logging.getLogger(__name__)


class DeviceContext(Protocol):
    """What the runtime gives a driver."""

    hall: str
    device: str
    tz: ZoneInfo
    window: str | None  # the window the device serves (hall layout), if any
    seat: str | None  # the seat the device serves (hall layout), if any

    def emit(self, body: EventBody, type: EventType | None = None) -> None:
        """Record a fact durably (outbox commit) and queue it for publishing."""

    def fault(
        self,
        code: str,
        message: str,
        *,
        active: bool = True,
        severity: Literal["warning", "error", "critical"] = "error",
    ) -> None:
        """Raise (or clear) a device fault (DEV-4)."""

    def now(self) -> datetime:
        """The device's aware local time."""


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """What a driver did with a command."""

    ok: bool
    detail: str = ""


C = TypeVar("C", bound=DeviceConfigBase)


class Driver(ABC, Generic[C]):
    """One device kind. Subclasses set `kind` and `Config`, and implement start/stop."""

    kind: ClassVar[str]
    Config: ClassVar[type[DeviceConfigBase]]

    def __init__(self, ctx: DeviceContext, config: C) -> None:
        self.ctx = ctx
        self.config = config

    @abstractmethod
    def start(self) -> None:
        """Open the hardware (or simulation) and begin reporting."""

    @abstractmethod
    def stop(self) -> None:
        """Release the hardware; must be safe to call twice."""

    def apply_config(self, config: C) -> None:
        """Switch to a new, already validated config (default: restart with it)."""
        self.stop()
        self.config = config
        self.start()

    def handle(self, command: Command) -> CommandOutcome:
        """Carry out a command; the default refuses every command."""
        return CommandOutcome(False, f"{self.kind} does not take {command.type.value}")

    def status(self) -> str:
        """A short health word for the heartbeat: ok, degraded, fault."""
        return "ok"
