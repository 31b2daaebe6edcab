"""The envelope around every event, and the one parser the hub trusts for incoming bytes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal, Union

from pydantic import AwareDatetime, Field, TypeAdapter

from models import CONTRACT_VERSION
from models.base import TypedMessage, decode_object, validate
from models.errors import ContractError
from models.events import (
    EARLIEST_DEVICE_TIME,
    EVENT_BODIES,
    LATEST_DEVICE_TIME,
    EventBody,
    EventType,
)
from models.ids import EVENT_ID_RE, new_event_id
from models.topics import NAME_RE, Channel, Topic

MAX_EVENT_BYTES = 16 * 1024
"""Largest event message accepted on evt/hb (bytes of JSON)."""
MAX_SEQ = 2**53
"""Highest per-device sequence number (exact in every JSON reader and in a 64-bit column)."""
DEFAULT_MAX_AHEAD = timedelta(minutes=10)
"""How far a fact's device time may be ahead of the hub's clock (a hub policy setting)."""

Name = str


class Envelope(TypedMessage):
    """One event as it travels: who sent it, when, in which order, and what happened.

    `seq` numbers a device's facts from 1 with no gaps; a heartbeat repeats the seq of the
    device's latest fact, so the hub detects gaps on facts only.
    """

    v: Literal[1] = Field(default=1, description="Contract version")
    id: str = Field(
        pattern=EVENT_ID_RE.pattern, max_length=26, description="Time-ordered unique event id"
    )
    hall: Name = Field(pattern=NAME_RE.pattern, max_length=63)
    device: Name = Field(pattern=NAME_RE.pattern, max_length=63)
    seq: int = Field(ge=0, le=MAX_SEQ, description="Per-device sequence number of facts")
    ts: AwareDatetime = Field(
        ge=EARLIEST_DEVICE_TIME,
        lt=LATEST_DEVICE_TIME,
        description=(
            "Device time of the event, with its UTC offset; from 2020-01-01 and, for a fact, "
            "at most the hub's max-ahead setting (default 10 minutes) ahead of the hub's clock"
        ),
        json_schema_extra={
            "formatMinimum": EARLIEST_DEVICE_TIME.isoformat(),
            "formatExclusiveMaximum": LATEST_DEVICE_TIME.isoformat(),
            "x-max-ahead-of-hub-clock-s": int(DEFAULT_MAX_AHEAD.total_seconds()),
        },
    )
    synced: bool = Field(description="True when the device clock was synchronised (NTP)")
    type: EventType
    body: EventBody

    BODY_TYPES = EventType
    BODIES = EVENT_BODIES

    @property
    def is_fact(self) -> bool:
        """A fact goes on the evt channel and counts in the sequence; a heartbeat does not."""
        return self.type is not EventType.HEARTBEAT

    def to_json(self) -> bytes:
        """Serialise for the wire."""
        return self.model_dump_json().encode()

    def __eq__(self, other: object) -> bool:
        """Same fields, same values (a parsed envelope equals the one that was sent)."""
        if not isinstance(other, Envelope):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(self.id)


def check_device_time(
    env: Envelope, now: datetime, max_ahead: timedelta = DEFAULT_MAX_AHEAD
) -> None:
    """Raise ContractError when a fact's device time is more than `max_ahead` after `now`.

    Heartbeats are exempt: the hub needs them to see (and alert on) a device's wrong clock.
    """
    ahead = env.ts - now
    if env.is_fact and ahead > max_ahead:
        minutes = ahead.total_seconds() / 60
        raise ContractError(
            f"device time {env.ts.isoformat()} is {minutes:.1f} min ahead of the hub's clock "
            f"(limit {max_ahead.total_seconds() / 60:.0f} min; "
            f"clock {'synced' if env.synced else 'not synced'})"
        )


def _narrowed(etype: EventType) -> type[Envelope]:
    """The Envelope of one event type: `type` a literal, `body` that type's model.

    With the type fixed by annotation, the base's dispatch validators (body model by type,
    body matches type) have nothing left to check; they are dropped and the schema rebuilt,
    so a wire message is validated entirely inside pydantic-core. Instances are Envelopes
    and compare equal to one built directly.
    """
    name = f"{etype.name.title().replace('_', '')}Envelope"
    cls: type[Envelope] = type(
        name,
        (Envelope,),
        {
            "__annotations__": {"type": Literal[etype], "body": EVENT_BODIES[etype]},
            "__module__": __name__,
            "__qualname__": name,
            "__doc__": f"An Envelope whose type is {etype.value}.",
        },
    )
    cls.__pydantic_decorators__.model_validators.clear()
    cls.model_rebuild(force=True)
    globals()[name] = cls  # importable by name, so instances pickle
    return cls


_WIRE: TypeAdapter[Envelope] = TypeAdapter(
    Annotated[  # type: ignore[arg-type]
        Union[tuple(_narrowed(t) for t in EventType)],  # noqa: UP007
        Field(discriminator="type"),
    ]
)
"""The hot parser: one discriminated union over the narrowed envelopes, no Python validators."""


def make_envelope(
    *,
    hall: str,
    device: str,
    seq: int,
    ts: datetime,
    synced: bool,
    body: EventBody,
    type: EventType | None = None,
    event_id: str | None = None,
) -> Envelope:
    """Wrap a body for sending; the type is taken from the body unless it is ambiguous."""
    if type is None:
        matches = [t for t, m in EVENT_BODIES.items() if m is body.__class__]
        if len(matches) != 1:
            raise ContractError(f"{body.__class__.__name__} needs an explicit event type")
        type = matches[0]
    return Envelope(
        id=event_id or new_event_id(),
        hall=hall,
        device=device,
        seq=seq,
        ts=ts,
        synced=synced,
        type=type,
        body=body,
    )


def parse_envelope(payload: bytes, topic: Topic | None = None) -> Envelope:
    """Parse bytes off the wire into an Envelope, or raise ContractError with the reason.

    With a topic, the envelope must come from the hall and device the topic names, and a
    heartbeat must arrive on hb while facts arrive on evt.
    """
    if len(payload) > MAX_EVENT_BYTES:
        raise ContractError(f"oversized: {len(payload)} bytes > {MAX_EVENT_BYTES}")
    try:  # the common case, validated straight from the bytes by pydantic's own JSON parser
        env = _WIRE.validate_json(payload)
    except ValueError:  # refused: take the slow path only to say exactly why
        data = decode_object(payload, MAX_EVENT_BYTES)
        if "v" in data and data["v"] != CONTRACT_VERSION:
            raise ContractError(
                f"wrong contract version {data['v']!r}; this hub speaks v1"
            ) from None
        env = validate(Envelope, data)
    if topic is not None:
        if (env.hall, env.device) != (topic.hall, topic.device):
            raise ContractError(
                f"mismatch: topic names {topic.hall}/{topic.device}, "
                f"envelope says {env.hall}/{env.device}"
            )
        expected = Channel.EVT if env.is_fact else Channel.HB
        if topic.channel is not expected:
            raise ContractError(
                f"mismatch: {env.type.value} must come on {expected.value}, "
                f"not {topic.channel.value}"
            )
    return env
