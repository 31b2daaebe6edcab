"""Device drivers, one module per kind, imported only when a device of that kind is run.

The driver of kind `k` is `edge/drivers/k.py`, defining `DRIVER`; the kinds are those of
models/devices/.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from models.devices import KINDS

if TYPE_CHECKING:
    from edge.drivers.base import Driver

DRIVER_MODULES: dict[str, str] = {kind: f"{__name__}.{kind}" for kind in KINDS}
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
