"""Face clock-in terminal (人脸考勤机): a camera that recognises staff, reports punches (ATT-1)."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field

from models.commands import CommandType
from models.devices.base import DeviceConfigBase, DeviceKindSpec
from models.events import EventType

KIND: Final = "face_terminal"
"""This kind's name: the `kind` of its devices and configs."""

DEFAULT_THRESHOLD = 0.45
"""Largest accepted distance to the best person's nearest template."""
DEFAULT_MARGIN = 0.06
"""Smallest gap between the best and the second-best person."""


class FaceTerminalConfig(DeviceConfigBase):
    """Settings of one face clock-in terminal."""

    kind: Literal["face_terminal"] = Field(default=KIND, description="Device kind")
    source: str | None = Field(
        default=None,
        description="Camera index, RTSP/HTTP URL, video "
        "file or frame folder; real default: camera 0",
    )
    fps: float = Field(default=10.0, gt=0, le=60, description="Frame rate of a frame folder")
    loop: bool = Field(default=False, description="Replay a file or folder endlessly")
    realtime: bool = Field(default=True, description="Pace recorded frames at their clip time")
    gallery_path: str = Field(
        default="data/edge/face/{device}.gallery",
        description="Encrypted local gallery file; {device} is replaced",
    )
    key_env: str = Field(default="HK_FACE_HALL_KEY", description="Env var with the hall key")
    key_file: str | None = Field(default=None, description="File with the hall key")
    threshold: float = Field(
        default=DEFAULT_THRESHOLD,
        gt=0,
        lt=1,
        description="Largest accepted face distance (see edge/face/matcher.py)",
    )
    margin: float = Field(
        default=DEFAULT_MARGIN, ge=0, lt=1, description="Smallest gap to the second-best person"
    )
    vote_k: int = Field(default=3, ge=1, le=30, description="Frames that must agree ...")
    vote_n: int = Field(default=5, ge=1, le=30, description="... among the last n")
    dedup_s: float = Field(default=60.0, ge=0, description="One punch per person per window")
    detect_max_side: int | None = Field(
        default=None,
        ge=160,
        le=4096,
        description="Detection runs on the frame shrunk to this side (default: 320 for YuNet, "
        "640 for HOG; edge/face/pipeline.py DETECT_MAX_SIDE)",
    )
    min_face_px: int = Field(default=80, ge=20, description="Smallest face width judged")
    detector: Literal["yunet", "hog"] = Field(
        default="yunet", description="Face detector: YuNet (shipped ONNX) or dlib's HOG"
    )
    liveness: Literal["off", "passive", "challenge"] = Field(
        default="challenge",
        description="challenge: asked actions read back + MiniFASNet; passive: MiniFASNet only "
        "(see edge/face/challenge.py)",
    )
    challenge_actions: int = Field(
        default=2, ge=1, le=2, description="Actions asked per recognition (all different)"
    )
    challenge_time_s: float = Field(
        default=8.0, gt=0, le=60, description="Time limit to perform the asked actions"
    )
    min_real: float = Field(
        default=0.5, ge=0, le=1, description="Smallest MiniFASNet real score (0: off)"
    )
    motion_hold_s: float = Field(default=4.0, ge=0, description="Gate stays open after motion")
    unknown_interval_s: float = Field(
        default=30.0, ge=0, description="At most one unknown_face per this many s"
    )
    camera_retry_s: float = Field(
        default=5.0, gt=0, le=600, description="Wait before reopening a failed live camera"
    )
    enroll_time_s: float = Field(
        default=30.0, gt=0, le=300, description="Time a terminal enrollment may take"
    )
    refresh_below: float = Field(
        default=0.35,
        ge=0,
        lt=1,
        description="A punch at a distance under this may offer a new template (0: never)",
    )
    refresh_interval_s: float = Field(
        default=86_400.0, ge=0, description="At most one offered template per person per this"
    )
    display_command: list[str] | None = Field(
        default=None, description="argv run with the feedback text appended (display/voice)"
    )


SPEC = DeviceKindSpec(
    kind=KIND,
    config=FaceTerminalConfig,
    label_zh="人脸考勤机",
    label_en="Face terminal",
    opening_check=True,  # rule DEV-1: the attendance machines
    sends=frozenset(
        {
            EventType.PUNCH,  # rule ATT-1
            EventType.UNKNOWN_FACE,  # rule PRIV-1: no identity, no image
            EventType.GALLERY_HELD,
            EventType.TEMPLATE_ERASED,  # rule PRIV-1
            EventType.ENROLLMENT_CAPTURED,  # rule PRIV-1: templates, never a photo
            EventType.ENROLLMENT_FAILED,
            EventType.TEMPLATE_OFFERED,
        }
    ),
    takes=frozenset(
        {CommandType.SYNC_GALLERY, CommandType.ERASE_TEMPLATE, CommandType.START_ENROLLMENT}
    ),
)
