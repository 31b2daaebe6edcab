"""Presence radar (在岗雷达): an HLK-LD2410 at a seat says whether someone sits there."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field

from models.devices.base import DeviceConfigBase, DeviceKindSpec
from models.events import EventType

KIND: Final = "presence_radar"
"""This kind's name: the `kind` of its devices and configs."""


class PresenceRadarConfig(DeviceConfigBase):
    """Settings of one LD2410 radar at one seat."""

    kind: Literal["presence_radar"] = Field(default=KIND, description="Device kind")
    seat: str | None = Field(
        default=None, description="Seat reported; default: the device's seat in the hall layout"
    )
    port: str | None = Field(default=None, description="Serial device of the real backend")
    baud: int = Field(default=256_000, description="UART speed; the LD2410 ships at 256000")
    hold_s: float = Field(default=5.0, gt=0, le=3600, description="No target this long: absent")
    silent_s: float = Field(
        default=3.0, gt=0, le=600, description="No valid frame this long: radar_silent fault"
    )
    garbled_limit: int = Field(
        default=5, ge=1, le=1000, description="Bad frames/garbage runs in a row: radar_garbled"
    )
    min_energy: int = Field(
        default=0, ge=0, le=100, description="Ignore targets whose energy is below this"
    )
    sim_period_s: float = Field(
        default=0.1, gt=0, le=10, description="Report interval of the simulated radar"
    )
    sim_present: bool = Field(default=False, description="Simulated radar starts seeing someone")


SPEC = DeviceKindSpec(
    kind=KIND,
    config=PresenceRadarConfig,
    label_zh="在岗雷达",
    label_en="Presence radar",
    opening_check=False,
    sends=frozenset({EventType.PRESENCE}),
)
