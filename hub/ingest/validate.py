"""Pure validation of one incoming MQTT message: topic + bytes -> an event, a state, or a reason.

No I/O here; the worker calls `classify` for every message and stores what it returns.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.ingest.hooks import DeviceState
from models.envelope import DEFAULT_MAX_AHEAD, Envelope, check_device_time, parse_envelope
from models.errors import ContractError
from models.topics import Channel, Topic, parse_topic

logger = logging.getLogger(__name__)

STATE_PAYLOADS = {b"online": True, b"offline": False}
"""The two retained payloads of the state channel (`offline` is the device's LWT)."""


@dataclass(frozen=True, slots=True)
class Accepted:
    """A valid envelope from the evt or hb channel."""

    envelope: Envelope


@dataclass(frozen=True, slots=True)
class StateChange:
    """A valid online/offline message from the state channel."""

    state: DeviceState


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message that breaks the contract; `reason` says why, in one line."""

    reason: str


Outcome = Accepted | StateChange | Rejected
"""What `classify` makes of a message."""


def parse_state(hall: str, device: str, payload: bytes, received_at: datetime) -> DeviceState:
    """Parse a state payload (`online` / `offline`) or raise ContractError."""
    try:
        online = STATE_PAYLOADS[payload]
    except (KeyError, TypeError):
        shown = payload[:40]
        raise ContractError(
            f"bad state payload {shown!r}: expected b'online' or b'offline'"
        ) from None
    return DeviceState(hall=hall, device=device, online=online, received_at=received_at)


@functools.lru_cache(maxsize=65536)
def _topic(topic: str) -> Topic:
    """parse_topic, remembered: a hall's devices use the same few topics all day."""
    return parse_topic(topic)


def classify(
    topic: str,
    payload: bytes,
    received_at: datetime,
    *,
    max_ahead: timedelta = DEFAULT_MAX_AHEAD,
) -> Outcome:
    """Validate one message; never raises for bad input, it returns Rejected instead.

    A fact whose device time is more than `max_ahead` after `received_at` (the hub's clock)
    is refused; its `synced` flag is kept with every stored fact.
    """
    try:
        parsed = _topic(topic)
    except ContractError as exc:
        return Rejected(f"bad topic: {exc.reason}")
    try:
        if parsed.channel is Channel.STATE:
            return StateChange(parse_state(parsed.hall, parsed.device, payload, received_at))
        if parsed.channel in (Channel.EVT, Channel.HB):
            env = parse_envelope(payload, parsed)
            check_device_time(env, received_at, max_ahead)
            return Accepted(env)
    except ContractError as exc:
        return Rejected(exc.reason)
    except Exception as exc:  # a parser bug must not stop ingest; the message is kept
        logger.exception("unexpected error validating a message on %s", topic)
        return Rejected(f"invalid: {type(exc).__name__}: {exc}")
    return Rejected(f"bad topic: the hub does not ingest the {parsed.channel.value} channel")
