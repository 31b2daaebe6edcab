"""The config document the hub pushes, retained, to a device's cfg topic."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, Field
from pydantic_core import PydanticSerializationError

from models.base import WireModel, decode_object, validate
from models.errors import ContractError
from models.topics import NAME_RE

MAX_CONFIG_BYTES = 256 * 1024

DeviceKind = Literal[
    "face_terminal",
    "rating_device",
    "counter_display",
    "hall_display",
    "voice",
    "ticket_printer",
    "counter_keypad",
    "away_sign",
    "presence_radar",
    "kiosk",
]
"""Every kind of device the hall has; each has one driver in edge/drivers/."""


class ConfigDocument(WireModel):
    """A versioned config for one device; `settings` is validated by the device's driver."""

    v: Literal[1] = 1
    hall: str = Field(pattern=NAME_RE.pattern)
    device: str = Field(pattern=NAME_RE.pattern)
    kind: DeviceKind
    version: int = Field(ge=1, description="Increases with every change the hub publishes")
    issued_at: AwareDatetime
    settings: dict[str, Any] = Field(default_factory=dict)

    def to_json(self) -> bytes:
        """Serialise for the wire."""
        return self.model_dump_json().encode()


def parse_config(payload: bytes) -> ConfigDocument:
    """Parse a config document, or raise ContractError with the reason."""
    doc = validate(ConfigDocument, decode_object(payload, MAX_CONFIG_BYTES))
    try:  # `settings` is free-form JSON: refuse what could not be sent on (lone surrogates)
        doc.to_json()
    except PydanticSerializationError as exc:
        raise ContractError(f"invalid: settings: {exc}") from None
    return doc
