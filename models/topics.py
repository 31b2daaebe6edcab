"""Build and parse MQTT topics of contract v1: `hk/v1/{hall}/{device}/{channel}`.

This is the one place topics are formatted or parsed; nobody writes a topic string by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from models.errors import ContractError

ROOT = "hk"
VERSION_SEGMENT = "v1"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
"""Hall and device ids: lower-case letters, digits, `-` and `_`; 1 to 63 characters."""


class Channel(StrEnum):
    """The six channels of a device."""

    EVT = "evt"  # edge -> hub, facts, QoS 1
    STATE = "state"  # edge -> hub, retained online/offline (LWT)
    HB = "hb"  # edge -> hub, heartbeat
    CFG = "cfg"  # hub -> edge, retained config document
    CMD = "cmd"  # hub -> edge, commands
    ACK = "ack"  # hub -> edge, retained: every fact up to this seq is stored (models/ack.py)


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic: which hall, which device, which channel."""

    hall: str
    device: str
    channel: Channel


def check_name(kind: str, value: str) -> str:
    """Return `value` if it is a valid hall or device id, else raise ContractError."""
    if not NAME_RE.match(value):
        raise ContractError(
            f"{kind} id {value!r} is not valid: use 1-63 of a-z, 0-9, '-', '_' "
            "starting with a letter or digit"
        )
    return value


def build_topic(hall: str, device: str, channel: Channel | str) -> str:
    """The topic of one device's channel."""
    return "/".join(
        (
            ROOT,
            VERSION_SEGMENT,
            check_name("hall", hall),
            check_name("device", device),
            Channel(channel).value,
        )
    )


def parse_topic(topic: str) -> Topic:
    """Parse a concrete topic; raise ContractError saying what is wrong."""
    parts = topic.split("/")
    if len(parts) != 5:
        raise ContractError(f"topic {topic!r} must have 5 levels hk/v1/hall/device/channel")
    root, version, hall, device, channel = parts
    if root != ROOT:
        raise ContractError(f"topic {topic!r} is not under {ROOT}/")
    if version != VERSION_SEGMENT:
        raise ContractError(f"topic {topic!r} has contract {version!r}, this side speaks v1")
    try:
        chan = Channel(channel)
    except ValueError:
        raise ContractError(f"topic {topic!r} has unknown channel {channel!r}") from None
    return Topic(check_name("hall", hall), check_name("device", device), chan)


def subscription(
    channel: Channel | str, hall: str = "+", device: str = "+", share_group: str | None = None
) -> str:
    """A subscription filter for a channel, optionally as an MQTT v5 shared subscription."""
    parts = [ROOT, VERSION_SEGMENT]
    parts.append(hall if hall == "+" else check_name("hall", hall))
    parts.append(device if device == "+" else check_name("device", device))
    parts.append(Channel(channel).value)
    topic = "/".join(parts)
    return f"$share/{share_group}/{topic}" if share_group else topic
