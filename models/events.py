"""Payloads of the events edge devices send to the hub (evt and hb channels)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from models.base import WireModel

StaffId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
"""A staff member's id (工号), as the hall assigns it."""
Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
"""A short machine identifier: seat, window, service code, fault code."""
Ticket = Annotated[str, Field(min_length=2, max_length=12, pattern=r"^[A-Z]{1,3}[0-9]{1,4}$")]
"""A queue number as printed: service prefix and number, e.g. `A012`."""
ShortText = Annotated[str, Field(max_length=500)]
MAX_COUNT = 2**31 - 1
"""Largest count or version in an event (fits every integer column the hub derives)."""
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
"""A non-negative count or version number."""
EARLIEST_DEVICE_TIME = datetime(2020, 1, 1, tzinfo=UTC)
"""No device of a hall ran before this: an earlier device time is a clock that never synced."""
LATEST_DEVICE_TIME = datetime(2100, 1, 1, tzinfo=UTC)
"""The contract's outer bound; the hub refuses facts much closer in (DEFAULT_MAX_AHEAD)."""
DeviceTime = Annotated[AwareDatetime, Field(ge=EARLIEST_DEVICE_TIME, lt=LATEST_DEVICE_TIME)]
"""A device time inside a body, bounded as the envelope's `ts`."""
SealedContact = Annotated[
    str, Field(min_length=10, max_length=200, pattern=r"^c1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
]
"""A citizen's phone number sealed with the hall's contact key (models/contact.py, PRIV-1)."""


class EventType(StrEnum):
    """Every kind of fact an edge device reports."""

    PUNCH = "punch"
    UNKNOWN_FACE = "unknown_face"
    RATING = "rating"
    TICKET_ISSUED = "ticket_issued"
    CALL_REQUEST = "call_request"
    AWAY_SIGN_PLACED = "away_sign_placed"
    AWAY_SIGN_REMOVED = "away_sign_removed"
    PRESENCE = "presence"
    DEVICE_FAULT = "device_fault"
    CONFIG_APPLIED = "config_applied"
    CONFIG_REJECTED = "config_rejected"
    COMMAND_RESULT = "command_result"
    GALLERY_HELD = "gallery_held"
    TEMPLATE_ERASED = "template_erased"
    ENROLLMENT_CAPTURED = "enrollment_captured"
    ENROLLMENT_FAILED = "enrollment_failed"
    TEMPLATE_OFFERED = "template_offered"
    HEARTBEAT = "heartbeat"


class Liveness(WireModel):
    """Outcome of the liveness check for one recognition."""

    passed: bool = Field(description="True when the face was judged live")
    blink: bool | None = Field(default=None, description="An eye blink was seen (EAR), if checked")
    motion: float | None = Field(
        default=None, ge=0, le=1e6, description="Motion/texture score, if checked"
    )
    method: Annotated[str, Field(max_length=32)] = Field(
        default="none", description="Checks applied"
    )
    challenge: Annotated[str, Field(max_length=64, pattern=r"^[a-z_,]*$")] | None = Field(
        default=None, description="Actions the terminal asked, in order (comma-separated)"
    )
    real_score: float | None = Field(
        default=None, ge=0, le=1, description="Mean passive anti-spoofing score (1: real)"
    )


class Punch(WireModel):
    """A staff member recognised at a face clock-in terminal (ATT-1). Device time is the punch."""

    staff_id: StaffId
    distance: float = Field(ge=0, le=2, description="Face distance to the best template")
    liveness: Liveness


class UnknownFace(WireModel):
    """A face seen and not recognised; no identity and no image (PRIV-1)."""

    best_distance: float | None = Field(default=None, ge=0, le=2)
    reason: Literal["no_match", "ambiguous", "liveness_failed"] = "no_match"
    liveness: Liveness | None = None


class Rating(WireModel):
    """A citizen's rating of one service (RATE-1); `level` None means not rated in time."""

    seat: Code
    ticket: Ticket | None = None
    shown_staff_id: StaffId | None = Field(default=None, description="Who the device showed")
    level: int | None = Field(
        default=None, ge=1, le=5, description="5 非常满意 … 1 非常不满意; None: not rated"
    )
    dimensions: dict[Code, Annotated[int, Field(ge=1, le=5)]] = Field(
        default_factory=dict,
        max_length=8,
        description="Levels of the other dimensions (efficiency, service_level, attitude)",
    )
    reason: Code | None = Field(default=None, description="Reason code of a dissatisfied rating")
    contact: SealedContact | None = Field(
        default=None,
        description="The phone number left for the call back, sealed for the hub (PRIV-1)",
    )


class TicketIssued(WireModel):
    """A citizen took a number at a kiosk (QUEUE-1); the hub assigns it when `ticket` is None."""

    service: Code
    ticket: Ticket | None = None
    green_channel: bool = Field(default=False, description="Elderly, sick, disabled (QUEUE-2)")


class CallAction(StrEnum):
    """What a counter keypad asks the hub to do."""

    NEXT = "next"
    CALL = "call"
    RECALL = "recall"
    SKIP = "skip"
    TRANSFER = "transfer"
    PARK = "park"
    START = "start"
    FINISH = "finish"
    PAUSE = "pause"
    RESUME = "resume"


class CallRequest(WireModel):
    """A keypad press at a counter; the hub decides what it means for the queue."""

    window: Code
    action: CallAction
    ticket: Ticket | None = None
    target_service: Code | None = None
    target_window: Code | None = None


class AwaySign(WireModel):
    """The away sign (离岗告知牌) was placed on, or taken off, a seat's counter (POST-2)."""

    seat: Code


class Presence(WireModel):
    """Someone is, or is no longer, sitting at a seat (radar or camera)."""

    seat: Code
    present: bool
    distance_cm: int | None = Field(default=None, ge=0, le=10_000)


class DeviceFault(WireModel):
    """A device reports a fault, or that a fault has cleared (`active` False) (DEV-4).

    Repeats of one code are coalesced (edge/faults.py): `count` raises between `first_at`
    and `last_at` (device times) stand in one fact; a plain clear has count 0.
    """

    code: Code
    message: ShortText
    severity: Literal["warning", "error", "critical"] = "error"
    active: bool = True
    count: Count = 1
    first_at: DeviceTime | None = None
    last_at: DeviceTime | None = None


class ConfigApplied(WireModel):
    """The device applied this config version."""

    version: Count


class ConfigRejected(WireModel):
    """The device refused a config version and kept its old one."""

    version: Count
    reason: ShortText


class CommandResult(WireModel):
    """What became of a command."""

    command_id: Annotated[str, Field(min_length=1, max_length=64)]
    ok: bool
    detail: ShortText = ""


class GalleryHeld(WireModel):
    """The face gallery version a terminal holds now."""

    version: Count
    checksum: Annotated[str, Field(max_length=128)]
    count: Count


class TemplateErased(WireModel):
    """A terminal confirms it erased a staff member's face template (PRIV-1)."""

    staff_id: StaffId
    gallery_version: Count
    erasure_id: (
        Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")] | None
    ) = Field(default=None, description="The erasure request this confirms")


SealedText = Annotated[str, Field(min_length=1, max_length=12_000)]
"""Fernet token text (under the hall key)."""
EnrollmentId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class EnrollmentCaptured(WireModel):
    """A terminal took a staff member's templates (no photo), sealed under the hall key."""

    enrollment_id: EnrollmentId
    staff_id: StaffId
    token: Annotated[str, Field(min_length=16, max_length=64)] = Field(
        description="The one-time enrollment token the hub issued"
    )
    templates: SealedText = Field(description="float32 encodings, sealed under the hall key")
    count: int = Field(ge=1, le=8)
    real_score: float | None = Field(default=None, ge=0, le=1)


class EnrollmentFailed(WireModel):
    """A terminal could not take the templates (no face, too far, blurred, no pose spread)."""

    enrollment_id: EnrollmentId
    staff_id: StaffId
    reason: Code
    message: ShortText = ""


class TemplateOffered(WireModel):
    """A confident recognition whose template adds a new look of the person (sealed)."""

    staff_id: StaffId
    template: SealedText
    distance: float = Field(ge=0, le=2)


class HealthNote(WireModel):
    """A problem the device has now, as its heartbeat tells it (DEV-4): code and reason.

    The heartbeat carries them because the fact of the fault may not get out: a full or
    read-only outbox stores no fact, while the heartbeat is sent straight to the broker.
    """

    code: Code
    message: ShortText
    severity: Literal["warning", "error", "critical"] = "error"


MAX_HEALTH_NOTES = 8
"""At most this many problems in one heartbeat (the worst first)."""


class Heartbeat(WireModel):
    """A device's periodic health report (DEV-1, DEV-2)."""

    uptime_s: float = Field(ge=0, le=1e10)
    agent_version: Annotated[str, Field(max_length=32)]
    contract_version: Count
    config_version: Count | None = None
    outbox_depth: Count
    outbox_capacity: int = Field(ge=1, le=MAX_COUNT)
    clock_offset_ms: float | None = Field(default=None, ge=-1e13, le=1e13)
    clock_synced: bool
    cpu_temp_c: float | None = Field(default=None, ge=-100, le=300)
    driver_status: Annotated[str, Field(max_length=64)] = "ok"
    faults: tuple[HealthNote, ...] = Field(default=(), max_length=MAX_HEALTH_NOTES)
    """The device's problems now (empty: none); each heartbeat replaces the last one's."""


EventBody = (
    Punch
    | UnknownFace
    | Rating
    | TicketIssued
    | CallRequest
    | AwaySign
    | Presence
    | DeviceFault
    | ConfigApplied
    | ConfigRejected
    | CommandResult
    | GalleryHeld
    | TemplateErased
    | EnrollmentCaptured
    | EnrollmentFailed
    | TemplateOffered
    | Heartbeat
)

EVENT_BODIES: dict[EventType, type[WireModel]] = {
    EventType.PUNCH: Punch,
    EventType.UNKNOWN_FACE: UnknownFace,
    EventType.RATING: Rating,
    EventType.TICKET_ISSUED: TicketIssued,
    EventType.CALL_REQUEST: CallRequest,
    EventType.AWAY_SIGN_PLACED: AwaySign,
    EventType.AWAY_SIGN_REMOVED: AwaySign,
    EventType.PRESENCE: Presence,
    EventType.DEVICE_FAULT: DeviceFault,
    EventType.CONFIG_APPLIED: ConfigApplied,
    EventType.CONFIG_REJECTED: ConfigRejected,
    EventType.COMMAND_RESULT: CommandResult,
    EventType.GALLERY_HELD: GalleryHeld,
    EventType.TEMPLATE_ERASED: TemplateErased,
    EventType.ENROLLMENT_CAPTURED: EnrollmentCaptured,
    EventType.ENROLLMENT_FAILED: EnrollmentFailed,
    EventType.TEMPLATE_OFFERED: TemplateOffered,
    EventType.HEARTBEAT: Heartbeat,
}
"""The body model of each event type."""

DROPPABLE = frozenset({EventType.HEARTBEAT})
"""Event types an edge outbox may drop when full; every other type is a fact and is kept."""
