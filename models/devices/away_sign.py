"""Away sign (暂停服务牌, 离岗告知牌): a switch under the sign's spot on a counter (POST-2)."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field, model_validator

from models.devices.base import DeviceConfigBase, DeviceKindSpec
from models.events import EventType

KIND: Final = "away_sign"
"""This kind's name: the `kind` of its devices and configs."""


class AwaySignConfig(DeviceConfigBase):
    """Settings of an away sign (device file `[settings]`, or the hub's config document)."""

    kind: Literal["away_sign"] = Field(default=KIND, description="Device kind")
    pin: int | str = Field(
        default=17,
        description="GPIO of the switch: BCM number or a "
        "gpiozero pin name such as 'GPIO17' or 'BOARD11'",
    )
    pull: Literal["up", "down", "off"] = Field(
        default="up",
        description="up: switch to ground, internal pull-up; down: switch to 3V3, internal "
        "pull-down; off: external resistor, then set active_high",
    )
    active_high: bool | None = Field(
        default=None,
        description="Only with pull 'off': true when a placed sign drives the pin high",
    )
    debounce_s: float = Field(
        default=0.05,
        ge=0,
        le=5,
        description="Seconds a new switch state must hold before it counts (0: at once)",
    )
    seat: str | None = Field(
        default=None, description="Seat reported; default: the device's seat in the hall layout"
    )

    @model_validator(mode="after")
    def _levels(self) -> AwaySignConfig:
        if (self.pull == "off") != (self.active_high is not None):
            raise ValueError("set active_high exactly when pull is 'off'")
        return self


SPEC = DeviceKindSpec(
    kind=KIND,
    config=AwaySignConfig,
    label_zh="暂停服务牌",
    label_en="Away sign",
    opening_check=False,
    sends=frozenset({EventType.AWAY_SIGN_PLACED, EventType.AWAY_SIGN_REMOVED}),  # rule POST-2
)
