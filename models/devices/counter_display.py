"""Counter display (窗口屏): the LED screen above a window, on an RS-485 bus."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field

from models.commands import CommandType
from models.devices.base import DeviceConfigBase, DeviceKindSpec

KIND: Final = "counter_display"
"""This kind's name: the `kind` of its devices and configs."""


class CounterDisplayConfig(DeviceConfigBase):
    """Settings of one counter LED display."""

    kind: Literal["counter_display"] = Field(default=KIND, description="Device kind")
    port: str | None = Field(default=None, description="RS-485 serial device (real backend)")
    baudrate: int = Field(default=9600, description="Line speed, 8N1")
    address: int = Field(default=1, ge=0, le=255, description="Display bus address")
    ack_timeout_s: float = Field(
        default=0.5, gt=0, le=10, description="No answer this long: display_no_answer"
    )


SPEC = DeviceKindSpec(
    kind=KIND,
    config=CounterDisplayConfig,
    label_zh="窗口屏",
    label_en="Counter display",
    opening_check=True,  # rule DEV-1 (screens), DEV-3 (LED screen data)
    sends=frozenset(),
    takes=frozenset({CommandType.DISPLAY_TEXT}),
)
