"""A device's config: the document the hub pushes (retained on `cfg`), checked, applied to the
driver, reported (ConfigApplied / ConfigRejected) and kept on disk across restarts.

A document is refused (and the refusal reported with its reason) when it does not parse, is for
another device or kind, or is older than the applied one; a retained copy seen again changes
nothing. The same settings need no driver restart (the serial port stays open, no byte lost).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edge.drivers.base import Driver
from models.config import ConfigDocument, parse_config
from models.devices import DeviceConfigBase
from models.errors import ContractError
from models.events import ConfigApplied, ConfigRejected, EventBody
from models.layout import Device

logger = logging.getLogger(__name__)

Emit = Callable[[EventBody], None]


def config_path(data_dir: Path, device: str) -> Path:
    """Where a device's applied config document is kept."""
    return data_dir / "config" / f"{device}.json"


def peek(payload: bytes, key: str, default: Any) -> Any:
    """A field of a JSON object that failed validation, to say which message was refused."""
    try:
        value = json.loads(payload).get(key, default)
    except (ValueError, AttributeError):
        return default
    return value if isinstance(value, type(default)) else default


class DeviceConfig:
    """The config applied to one device: its version, the file that keeps it, and the steps
    that take a new document from the hub."""

    def __init__(self, hall: str, device: Device, data_dir: Path) -> None:
        self.hall, self.device, self.kind = hall, device.id, device.kind
        self.file = config_path(data_dir, device.id)
        self.version, self.initial = self._saved(device)
        self._rejected_version: int | None = None

    def _saved(self, device: Device) -> tuple[int | None, DeviceConfigBase]:
        """The last applied config document if there is a valid one, else the layout's."""
        try:
            doc = ConfigDocument.model_validate_json(self.file.read_bytes())
            if doc.kind != device.kind:
                raise ValueError(f"it is for a {doc.kind}, not a {device.kind}")
            return doc.version, doc.settings
        except FileNotFoundError:
            pass
        except (ValidationError, ValueError) as exc:
            logger.warning("%s: ignoring saved config %s: %s", device.id, self.file, exc)
        return None, device.settings

    def apply(self, payload: bytes, driver: Driver[Any], emit: Emit) -> bool:
        """Validate and apply a config document; report ConfigApplied or ConfigRejected."""
        try:
            doc = parse_config(payload)
        except ContractError as exc:
            return self._reject(emit, peek(payload, "version", 0), exc.reason)
        if (doc.hall, doc.device, doc.kind) != (self.hall, self.device, self.kind):
            return self._reject(
                emit,
                doc.version,
                f"config is for {doc.hall}/{doc.device} "
                f"({doc.kind}), not {self.hall}/{self.device} ({self.kind})",
            )
        if doc.version == self.version or doc.version == self._rejected_version:
            return doc.version == self.version  # a retained copy seen again
        if self.version is not None and doc.version < self.version:
            return self._reject(emit, doc.version, f"older than the applied version {self.version}")
        config = doc.settings  # validated by its kind's model (models/devices/) in parse_config
        old = driver.config
        if config != old:  # the same settings need no restart: the port stays open, no byte lost
            try:
                driver.apply_config(config)
            except Exception as exc:
                logger.exception("%s: applying config %s failed", self.device, doc.version)
                try:
                    driver.apply_config(old)
                except Exception:
                    logger.exception("%s: the previous config did not come back", self.device)
                return self._reject(emit, doc.version, f"driver could not apply it: {exc}")
        self._persist(doc)
        self.version = doc.version
        emit(ConfigApplied(version=doc.version))
        logger.info("%s: config version %s applied", self.device, doc.version)
        return True

    def _reject(self, emit: Emit, version: int, reason: str) -> bool:
        logger.warning("%s: config version %s rejected: %s", self.device, version, reason)
        self._rejected_version = version
        emit(ConfigRejected(version=max(0, version), reason=reason[:500]))
        return False

    def _persist(self, doc: ConfigDocument) -> None:
        """Write the applied document atomically (temp file, fsync, rename)."""
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            fh.write(doc.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.file)
