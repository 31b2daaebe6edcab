"""Commands the hub sends to a device on its cmd channel."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from models.base import TypedMessage, WireModel, decode_object, validate
from models.events import Code, StaffId, Ticket
from models.ids import EVENT_ID_RE, new_event_id
from models.topics import NAME_RE

MAX_COMMAND_BYTES = 4 * 1024 * 1024
"""Largest command accepted (a face gallery travels inline in sync_gallery)."""


class CommandType(StrEnum):
    """Every command a device may receive."""

    DISPLAY_TEXT = "display_text"
    ANNOUNCE = "announce"
    PRINT_TICKET = "print_ticket"
    SYNC_GALLERY = "sync_gallery"
    ERASE_TEMPLATE = "erase_template"
    START_ENROLLMENT = "start_enrollment"
    SHOW_SERVING = "show_serving"
    RELOAD_CONFIG = "reload_config"
    SHOW_TICKET = "show_ticket"


class DisplayText(WireModel):
    """Show text on a counter display, hall screen or terminal (e.g. `A012 请到3号窗口`)."""

    text: Annotated[str, Field(min_length=0, max_length=200)]
    line: int = Field(default=0, ge=0, le=8)
    ttl_s: int | None = Field(
        default=None, ge=1, le=86_400, description="Clear after this many seconds; None keeps it"
    )


class Announce(WireModel):
    """Speak a Mandarin announcement (e.g. `请A012号到3号窗口办理`)."""

    text: Annotated[str, Field(min_length=1, max_length=200)]
    repeat: int = Field(default=1, ge=1, le=5)
    lang: Literal["zh", "en"] = "zh"


class PrintTicket(WireModel):
    """Print a queue ticket."""

    ticket: Ticket
    service_name: Annotated[str, Field(max_length=64)]
    ahead: int = Field(ge=0)
    issued_at: AwareDatetime


class SyncGallery(WireModel):
    """Replace the terminal's face gallery with this version (encrypted, checksummed)."""

    version: int = Field(ge=0)
    checksum: Annotated[str, Field(min_length=1, max_length=128)]
    blob: Annotated[str, Field(max_length=MAX_COMMAND_BYTES)] = Field(
        description="The encrypted gallery, base64 text (Fernet token under the hall key)"
    )
    keys: Annotated[str, Field(max_length=MAX_COMMAND_BYTES)] = Field(
        default="",
        description="The gallery's person keys sealed under the hall key (models/face.py)",
    )


ErasureId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
"""Names one erasure request, so its confirmation closes that request and no other."""


class EraseTemplate(WireModel):
    """Erase a staff member's face template now (PRIV-1); the terminal confirms."""

    staff_id: StaffId
    gallery_version: int = Field(ge=0)
    erasure_id: ErasureId


class StartEnrollment(WireModel):
    """Take a staff member's face templates at this terminal now (a supervisor is present)."""

    enrollment_id: ErasureId
    staff_id: StaffId
    name: Annotated[str, Field(min_length=1, max_length=64)]
    token: Annotated[str, Field(min_length=16, max_length=64)] = Field(
        description="One-time token; the terminal returns it with the templates"
    )
    expires_at: AwareDatetime
    templates: int = Field(default=3, ge=1, le=8, description="Templates to take")


class ShowServing(WireModel):
    """Show on a rating device who is serving and which ticket (RATE-2); `dimensions` are what
    the hall's rating scheme asks about this service (RATE-1; None: the device's own list)."""

    seat: Code
    staff_id: StaffId | None
    name: Annotated[str, Field(max_length=64)] | None = None
    ticket: Ticket | None = None
    dimensions: list[Code] | None = Field(default=None, min_length=1, max_length=4)


class ReloadConfig(WireModel):
    """Re-read and re-apply the retained config document."""


class ShowTicket(WireModel):
    """Tell a kiosk the number a citizen took, printed or not, in words to show and say (DEV-4).

    When the ticket could not be printed (`printed` False, `fault` the reason) the kiosk shows
    the number large, offers `qr` as a QR code for a phone, and speaks `speech`.
    """

    ticket: Ticket
    service_name: Annotated[str, Field(max_length=64)]
    ahead: int = Field(ge=0)
    printed: bool
    fault: Code | None = Field(default=None, description="Why it was not printed")
    title: Annotated[str, Field(max_length=64)]
    detail: Annotated[str, Field(max_length=200)] = ""
    speech: Annotated[str, Field(max_length=200)] | None = None
    qr: Annotated[str, Field(max_length=300)] = ""


CommandBody = (
    DisplayText
    | Announce
    | PrintTicket
    | SyncGallery
    | EraseTemplate
    | StartEnrollment
    | ShowServing
    | ReloadConfig
    | ShowTicket
)
COMMAND_BODIES: dict[CommandType, type[WireModel]] = {
    CommandType.DISPLAY_TEXT: DisplayText,
    CommandType.ANNOUNCE: Announce,
    CommandType.PRINT_TICKET: PrintTicket,
    CommandType.SYNC_GALLERY: SyncGallery,
    CommandType.ERASE_TEMPLATE: EraseTemplate,
    CommandType.START_ENROLLMENT: StartEnrollment,
    CommandType.SHOW_SERVING: ShowServing,
    CommandType.RELOAD_CONFIG: ReloadConfig,
    CommandType.SHOW_TICKET: ShowTicket,
}


class Command(TypedMessage):
    """One command to one device."""

    v: Literal[1] = 1
    id: str = Field(pattern=EVENT_ID_RE.pattern)
    hall: str = Field(pattern=NAME_RE.pattern)
    device: str = Field(pattern=NAME_RE.pattern)
    ts: AwareDatetime
    type: CommandType
    body: CommandBody

    BODY_TYPES = CommandType
    BODIES = COMMAND_BODIES

    def to_json(self) -> bytes:
        """Serialise for the wire."""
        return self.model_dump_json().encode()


def make_command(*, hall: str, device: str, ts: datetime, body: CommandBody) -> Command:
    """Wrap a command body for one device."""
    (ctype,) = [t for t, m in COMMAND_BODIES.items() if m is body.__class__]
    return Command(id=new_event_id(), hall=hall, device=device, ts=ts, type=ctype, body=body)


def parse_command(payload: bytes) -> Command:
    """Parse a command off the wire, or raise ContractError with the reason."""
    return validate(Command, decode_object(payload, MAX_COMMAND_BYTES))
