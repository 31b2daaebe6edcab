"""The config document the hub pushes, retained, to a device's cfg topic."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, Field, field_serializer, model_validator

from models.base import WireModel, decode_object, validate
from models.devices import DeviceConfig, DeviceConfigBase, DeviceKind, with_settings_kind
from models.topics import NAME_RE

MAX_CONFIG_BYTES = 256 * 1024


class ConfigDocument(WireModel):
    """A versioned config for one device; `settings` is the config model of its kind."""

    v: Literal[1] = Field(default=1, description="Contract version")
    hall: str = Field(pattern=NAME_RE.pattern, description="Hall id")
    device: str = Field(pattern=NAME_RE.pattern, description="Device id")
    kind: DeviceKind = Field(description="Device kind (models/devices/)")
    version: int = Field(ge=1, description="Increases with every change the hub publishes")
    issued_at: AwareDatetime = Field(description="When the hub made this version")
    settings: DeviceConfig = Field(description="The device's settings; `kind` may be omitted")

    @model_validator(mode="before")
    @classmethod
    def _settings_kind(cls, data: Any) -> Any:
        return with_settings_kind(data)

    @model_validator(mode="after")
    def _same_kind(self) -> ConfigDocument:
        if self.settings.kind != self.kind:
            raise ValueError(f"settings are for {self.settings.kind}, not {self.kind}")
        return self

    @field_serializer("settings")
    def _settings_as_written(self, settings: DeviceConfigBase) -> dict[str, Any]:
        """Only the settings given (defaults come from the same model on the device), and kind."""
        return settings_dict(settings)

    def to_json(self) -> bytes:
        """Serialise for the wire."""
        return self.model_dump_json().encode()


def settings_dict(settings: DeviceConfigBase) -> dict[str, Any]:
    """A device's settings as JSON values: its kind and the fields that were given."""
    given = settings.model_dump(mode="json", exclude_unset=True, exclude={"kind"})
    return {"kind": settings.kind, **given}


def parse_config(payload: bytes) -> ConfigDocument:
    """Parse a config document, or raise ContractError with the reason."""
    return validate(ConfigDocument, decode_object(payload, MAX_CONFIG_BYTES))
