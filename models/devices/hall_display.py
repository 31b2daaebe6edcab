"""Hall display (大厅屏): a browser in kiosk mode showing the hub's hall page."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field

from models.commands import CommandType
from models.devices.base import DeviceConfigBase, DeviceKindSpec

KIND: Final = "hall_display"
"""This kind's name: the `kind` of its devices and configs."""


class HallDisplayConfig(DeviceConfigBase):
    """Settings of the hall screen."""

    kind: Literal["hall_display"] = Field(default=KIND, description="Device kind")
    url: str = Field(
        default="http://127.0.0.1:8000/api/queue/hall",
        description="The hub's hall page the screen shows",
    )
    browser: list[str] = Field(
        default_factory=lambda: [
            "chromium",
            "--kiosk",
            "--noerrdialogs",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
        ],
        description="Browser command; the page URL is appended",
    )
    restart_s: float = Field(default=5.0, gt=0, le=600, description="Wait before a restart")


SPEC = DeviceKindSpec(
    kind=KIND,
    config=HallDisplayConfig,
    label_zh="大厅屏",
    label_en="Hall display",
    opening_check=True,  # rule DEV-1 (screens), DEV-3 (LED screen data)
    sends=frozenset(),
    takes=frozenset({CommandType.DISPLAY_TEXT}),
)
