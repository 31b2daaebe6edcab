"""Ticket kiosk (取号机): a citizen takes a number for a service (QUEUE-1); told and shown
what became of it when the printer fails (DEV-4)."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field

from models.commands import CommandType
from models.devices.base import DeviceConfigBase, DeviceKindSpec
from models.devices.hall_display import HallDisplayConfig
from models.devices.voice import VoiceConfig
from models.events import EventType

KIND: Final = "kiosk"
"""This kind's name: the `kind` of its devices and configs."""


class KioskConfig(DeviceConfigBase):
    """Settings of a ticket kiosk: the real one is a touch screen on the hub's kiosk page."""

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
    url: str = Field(
        default="http://127.0.0.1:8000/kiosk/demo/hall-kiosk",
        description="The hub's kiosk page the real touch screen shows (/kiosk/<hall>/<device>)",
    )
    browser: list[str] = Field(
        default_factory=lambda: list(HallDisplayConfig().browser),
        description="Browser command of the real touch screen; the page URL is appended",
    )
    speak: bool = Field(default=True, description="Say a failed print aloud (DEV-4)")
    voice: VoiceConfig = Field(
        default_factory=VoiceConfig, description="The kiosk's speaker (as the hall voice)"
    )


SPEC = DeviceKindSpec(
    kind=KIND,
    config=KioskConfig,
    label_zh="取号机",
    label_en="Kiosk",
    opening_check=True,  # rule DEV-1: the touch screen citizens take numbers at
    sends=frozenset({EventType.TICKET_ISSUED}),  # rule QUEUE-1
    takes=frozenset({CommandType.SHOW_TICKET}),  # rule DEV-4
)
