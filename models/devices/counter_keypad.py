"""Counter keypad (呼叫器): the staff member's call-next keypad at a window."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field

from models.devices.base import DeviceConfigBase, DeviceKindSpec
from models.events import EventType

KIND: Final = "counter_keypad"
"""This kind's name: the `kind` of its devices and configs."""


class CounterKeypadConfig(DeviceConfigBase):
    """Settings of one counter keypad."""

    kind: Literal["counter_keypad"] = Field(default=KIND, description="Device kind")
    port: str | None = Field(default=None, description="Serial device (real backend)")
    baudrate: int = Field(default=9600, description="Line speed, 8N1")
    address: int = Field(default=1, ge=0, le=255, description="Keypad bus address")
    frame_timeout_ms: int = Field(
        default=50,
        ge=10,
        le=2000,
        description="A half frame (stray start byte, frame cut off) waits at most this long "
        "for its missing bytes; a good frame behind it is never held back longer",
    )
    window: str | None = Field(
        default=None, description="Window id; default: device id minus -keypad"
    )


SPEC = DeviceKindSpec(
    kind=KIND,
    config=CounterKeypadConfig,
    label_zh="呼叫器",
    label_en="Counter keypad",
    opening_check=False,
    sends=frozenset({EventType.CALL_REQUEST}),
)
