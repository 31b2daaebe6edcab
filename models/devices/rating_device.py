"""Rating device (评价器): at a counter seat, shows who serves and takes the citizen's rating."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.commands import CommandType
from models.devices.base import DeviceConfigBase, DeviceKindSpec
from models.events import EventType

KIND: Final = "rating_device"
"""This kind's name: the `kind` of its devices and configs."""

Dimension = Literal["overall", "attitude", "efficiency", "service_level"]
"""What a citizen may rate (RATE-1: the national 好差评 offline dimensions); `overall` always."""
NATIONAL_DIMENSIONS: tuple[Dimension, ...] = ("overall", "efficiency", "service_level", "attitude")
"""The national scheme's offline dimensions: 总体满意度, 办事效率, 服务水平, 服务态度."""


class ReasonOption(BaseModel):
    """One reason a dissatisfied citizen can choose (code stored, label shown)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$", description="Reason code")
    label: str = Field(min_length=1, max_length=16, description="Label on the device")


DEFAULT_REASONS: tuple[ReasonOption, ...] = (
    ReasonOption(code="attitude", label="态度不好"),
    ReasonOption(code="slow", label="办事拖拉"),
    ReasonOption(code="unclear", label="解释不清"),
    ReasonOption(code="runaround", label="多次跑腿"),
    ReasonOption(code="other", label="其他"),
)
"""The reasons offered when a device's config names none."""


class RatingDeviceConfig(DeviceConfigBase):
    """Settings of one rating device."""

    kind: Literal["rating_device"] = Field(default=KIND, description="Device kind")
    port: str | None = Field(default=None, description="Serial device (real backend)")
    baudrate: int = Field(default=9600, description="Line speed, 8N1")
    address: int = Field(default=1, ge=0, le=255, description="Device bus address")
    frame_timeout_ms: int = Field(
        default=50,
        ge=10,
        le=2000,
        description="A half frame (stray start byte, frame cut off) waits at most this long "
        "for its missing bytes; a good frame behind it is never held back longer",
    )
    dimensions: list[Dimension] = Field(
        default_factory=lambda: list(NATIONAL_DIMENSIONS),
        description="Rated dimensions when the hub names none (RATE-1; default the national four)",
    )
    timeout_s: float = Field(default=30.0, gt=0, le=255, description="No press -> not rated")
    reason_timeout_s: float = Field(default=20.0, gt=0, le=255, description="Reason wait")
    dissatisfied_max: int = Field(default=2, ge=1, le=4, description="Levels <= this ask why")
    reasons: list[ReasonOption] = Field(
        default_factory=lambda: list(DEFAULT_REASONS), max_length=9, description="Reason list"
    )
    contact_key: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{43}$",
        description="The hall's contact public key: offer a dissatisfied citizen to leave a "
        "phone number, sealed on the device (RATE-3, PRIV-1); None: not offered",
    )
    phone_timeout_s: float = Field(default=30.0, gt=0, le=255, description="Phone entry wait")

    @field_validator("dimensions")
    @classmethod
    def _overall_first(cls, v: list[str]) -> list[str]:
        if "overall" not in v or len(set(v)) != len(v):
            raise ValueError("dimensions must include overall, each once")
        return v


SPEC = DeviceKindSpec(
    kind=KIND,
    config=RatingDeviceConfig,
    label_zh="评价器",
    label_en="Rating device",
    opening_check=True,  # rule DEV-3
    sends=frozenset({EventType.RATING}),  # rule RATE-1
    takes=frozenset({CommandType.SHOW_SERVING}),  # rule RATE-2
)
