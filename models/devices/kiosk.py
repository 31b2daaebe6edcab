"""Ticket kiosk (取号机): a citizen takes a number for a service (QUEUE-1)."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field

from models.devices.base import DeviceConfigBase, DeviceKindSpec
from models.events import EventType

KIND: Final = "kiosk"
"""This kind's name: the `kind` of its devices and configs."""


class KioskConfig(DeviceConfigBase):
    """Settings of the simulated kiosk."""

    kind: Literal["kiosk"] = Field(default=KIND, description="Device kind")
    services: list[str] = Field(
        default_factory=list, description="Service codes offered (empty: any)"
    )
    sim_interval_s: float | None = Field(
        default=None, gt=0, le=3600, description="Issue a ticket this often (demo)"
    )
    green_share: float = Field(
        default=0.1, ge=0, le=1, description="Share of demo tickets on the green channel"
    )
    seed: int | None = Field(default=None, description="Random seed of the demo citizens")


SPEC = DeviceKindSpec(
    kind=KIND,
    config=KioskConfig,
    label_zh="取号机",
    label_en="Kiosk",
    opening_check=True,  # rule DEV-1: the touch screen citizens take numbers at
    sends=frozenset({EventType.TICKET_ISSUED}),  # rule QUEUE-1
)
