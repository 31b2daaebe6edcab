"""The registry of hub areas: each area plugs its projector(s), router(s) and background work in.

An area module (e.g. `hub.queue.area`) defines `setup(ctx: AreaContext) -> AreaParts`. The hub
imports the modules listed in AREA_MODULES (or those named in settings, always after the core
areas: fleet, users) at start; a new area adds its module to the list. A listed module that
cannot be imported is an error. Every API router reaches the app this one way.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, Self

from sqlalchemy.engine import Engine

from hub.commands import CommandSender
from hub.ingest.hooks import Projector
from models.layout import Hall

if TYPE_CHECKING:
    from fastapi import APIRouter

logger = logging.getLogger(__name__)

CORE_AREAS: tuple[str, ...] = ("hub.fleet.area", "hub.users.area")
"""Areas every hub loads, whatever else it is asked to: the fleet's API and the accounts."""

AREA_MODULES: tuple[str, ...] = (
    *CORE_AREAS,
    "hub.attendance.area",
    "hub.compliance.area",
    "hub.duty.area",
    "hub.queue.area",
    "hub.ratings.area",
    "hub.complaints.area",
    "hub.staff.area",
    "hub.dashboard.area",
    "hub.metrics.area",
    "hub.hass.area",
)
"""Area modules the hub loads by default, in this order."""


def with_core(modules: Sequence[str]) -> list[str]:
    """The core areas, then `modules` (each once): what a hub loads."""
    return list(dict.fromkeys([*CORE_AREAS, *modules]))


class Background(Protocol):
    """Work an area runs beside ingest (a timer, a scheduler): started and stopped by the hub."""

    def start(self) -> Any:
        """Begin (in a thread of its own); return quickly."""

    def stop(self) -> None:
        """Finish; safe to call twice."""


class Ticker:
    """Background work that runs `round()` every `period_s` seconds in a thread of its own,
    named `thread_name`; a round that fails is logged and the next one tries again."""

    thread_name = "ticker"

    def __init__(self, period_s: float) -> None:
        self.period_s = period_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def round(self) -> object:
        """One round of the work (each subclass says which)."""
        raise NotImplementedError

    def start(self) -> Self:
        """Begin in a thread of its own."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Finish; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                self.round()
            except Exception:  # keep going; the next round retries
                logger.exception("%s round failed", self.thread_name)


@dataclass(frozen=True, slots=True)
class AreaContext:
    """What the hub hands an area's setup()."""

    engine: Engine
    halls: Sequence[Hall]
    commands: CommandSender
    clock: Callable[[], datetime]
    settings: Any = None


@dataclass(slots=True)
class AreaParts:
    """What an area contributes to the hub."""

    name: str
    projectors: list[Projector] = field(default_factory=list)
    routers: list[APIRouter] = field(default_factory=list)
    background: list[Background] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    """Objects the area's routes find on `app.state` (e.g. queues: hall id -> projector)."""


def load_areas(ctx: AreaContext, modules: Sequence[str] = AREA_MODULES) -> list[AreaParts]:
    """Import each area module and call its setup(ctx)."""
    parts: list[AreaParts] = []
    for name in modules:
        module = importlib.import_module(name)
        setup = getattr(module, "setup", None)
        if setup is None:
            raise TypeError(f"area module {name} defines no setup(ctx) -> AreaParts")
        part = setup(ctx)
        logger.info(
            "area %s: %d projector(s), %d router(s), %d background task(s)",
            part.name,
            len(part.projectors),
            len(part.routers),
            len(part.background),
        )
        parts.append(part)
    return parts
