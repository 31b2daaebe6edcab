"""Hall voice (语音): Mandarin call announcements spoken by espeak-ng."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field

from models.commands import CommandType
from models.devices.base import DeviceConfigBase, DeviceKindSpec

KIND: Final = "voice"
"""This kind's name: the `kind` of its devices and configs."""


class VoiceConfig(DeviceConfigBase):
    """Settings of the hall voice."""

    kind: Literal["voice"] = Field(default=KIND, description="Device kind")
    voice: str = Field(default="cmn", description="espeak-ng voice: cmn (Mandarin) or zh")
    speed: int = Field(default=150, ge=80, le=450, description="Words per minute")
    out_dir: str | None = Field(default=None, description="Where WAV files go; default: temp")
    player: list[str] = Field(
        default_factory=lambda: ["aplay", "-q"],
        description="Command that plays a WAV file (file appended)",
    )
    espeak: str = Field(default="espeak-ng", description="The espeak-ng program")
    play: Literal["auto", "always", "never"] = Field(
        default="auto", description="auto: play on the real backend when a sound device exists"
    )
    keep_files: int = Field(default=200, ge=1, le=100_000, description="WAV files kept")


SPEC = DeviceKindSpec(
    kind=KIND,
    config=VoiceConfig,
    label_zh="语音",
    label_en="Voice",
    opening_check=False,
    sends=frozenset(),
    takes=frozenset({CommandType.ANNOUNCE}),
)
