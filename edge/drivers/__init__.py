"""Device drivers, one module per kind, imported only when a device of that kind is run."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edge.drivers.base import Driver

DRIVER_MODULES: dict[str, str] = {
    "away_sign": "edge.drivers.away_sign",
    "presence_radar": "edge.drivers.presence_radar",
    "face_terminal": "edge.drivers.face_terminal",
    "rating_device": "edge.drivers.rating_device",
    "counter_keypad": "edge.drivers.counter_keypad",
    "counter_display": "edge.drivers.counter_display",
    "ticket_printer": "edge.drivers.ticket_printer",
    "hall_display": "edge.drivers.hall_display",
    "voice": "edge.drivers.voice",
    "kiosk": "edge.drivers.kiosk",
}
"""Device kind -> module defining `DRIVER`, the Driver subclass for that kind."""


def driver_class(kind: str) -> type[Driver]:
    """The driver class of a device kind; a clear error when it is not built."""
    try:
        module = DRIVER_MODULES[kind]
    except KeyError:
        raise ValueError(f"unknown device kind {kind!r}; known: {sorted(DRIVER_MODULES)}") from None
    try:
        driver: type[Driver] = importlib.import_module(module).DRIVER
        return driver
    except ModuleNotFoundError as exc:
        if exc.name == module:
            raise ValueError(f"no driver for {kind!r} is installed ({module})") from None
        raise
