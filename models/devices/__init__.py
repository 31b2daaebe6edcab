"""Every device kind of the hall, one module each; everything else about kinds derives from here.

A kind's module (`models/devices/<kind>.py`) holds its config model (a `kind: Literal[...]`
discriminator, `extra="forbid"`, a description on every field) and its `SPEC`: the labels
(zh-CN, English), whether the opening check looks at it (DEV-1/DEV-3), the event types it may
send and the commands it takes. `KINDS` joins them; from it come `DeviceKind`, the
`DeviceConfig` union (the hall layout's and the pushed config document's `settings`), the edge
driver registry (`edge.drivers.<kind>`), fleet's opening-check set, the dashboard's kind
words, the simulator's layout and Home Assistant's entities.

Checking a fact against its sender (the hub's ingest, ARCHITECTURE "Every fact is authorised"):

    from models import devices
    devices.may_send("away_sign", EventType.PUNCH)        # False: dead-letter it
    devices.MAY_SEND["face_terminal"]                     # frozenset of EventType
    devices.kinds_sending(EventType.RATING)               # frozenset({"rating_device"})

`may_send` is False for a kind that does not exist. The sets include what the edge runtime sends
for every device (faults, config applied/rejected, command results, heartbeats).

A new device kind: add `models/devices/<kind>.py` with its config model and SPEC (this package
finds it by itself), write `edge/drivers/<kind>.py` (and its frame codec in `edge/serialproto/`
if it is serial), and teach the hub area that consumes its facts.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import Field, TypeAdapter

from models.devices.base import (
    EVERY_DEVICE_SENDS,
    EVERY_DEVICE_TAKES,
    DeviceConfigBase,
    DeviceKindSpec,
)
from models.events import EventType


def _kind_modules() -> list[ModuleType]:
    """Every kind module of this package (all but `base`), by name."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "base")
    modules = [importlib.import_module(f"{__name__}.{name}") for name in names]
    for name, module in zip(names, modules, strict=True):
        if getattr(module, "SPEC", None) is None or module.SPEC.kind != name:
            raise TypeError(f"{module.__name__} must define SPEC of kind {name!r}")
    return modules


KINDS: Mapping[str, DeviceKindSpec] = MappingProxyType(
    {m.SPEC.kind: m.SPEC for m in _kind_modules()}
)
"""Every device kind the hall has, by name; each has one driver, `edge/drivers/<kind>.py`."""

if TYPE_CHECKING:
    DeviceKind = str
    DeviceConfig = DeviceConfigBase
else:
    DeviceKind = Literal[tuple(KINDS)]
    """The name of a device kind (validated against KINDS)."""
    DeviceConfig = Annotated[
        Union[tuple(spec.config for spec in KINDS.values())],  # noqa: UP007 - built at run time
        Field(discriminator="kind"),
    ]
    """A device's settings: the config model of its kind, chosen by `kind`."""

_CONFIG_ADAPTER: TypeAdapter[DeviceConfigBase] = TypeAdapter(DeviceConfig)

MAY_SEND: Mapping[str, frozenset[EventType]] = MappingProxyType(
    {kind: spec.may_send for kind, spec in KINDS.items()}
)
"""Device kind -> every event type a device of that kind may send."""

OPENING_CHECK_KINDS: frozenset[str] = frozenset(k for k, s in KINDS.items() if s.opening_check)
"""Kinds the opening check looks at (rule DEV-1: attendance machines and screens; DEV-3)."""


def spec(kind: str) -> DeviceKindSpec:
    """The spec of a device kind, or ValueError naming the known kinds."""
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown device kind {kind!r}; known: {', '.join(KINDS)}") from None


def may_send(kind: str, event_type: EventType | str) -> bool:
    """True when a device of `kind` may send events of `event_type` (False for unknown kinds)."""
    allowed = MAY_SEND.get(kind)
    return allowed is not None and event_type in allowed


def kinds_sending(event_type: EventType | str) -> frozenset[str]:
    """The device kinds that may send `event_type`."""
    return frozenset(kind for kind, allowed in MAY_SEND.items() if event_type in allowed)


def label(kind: str, lang: str = "zh-CN") -> str:
    """A kind's name for people in `lang` (the kind itself if unknown)."""
    found = KINDS.get(kind)
    return found.label(lang) if found is not None else kind


def settings_with_kind(kind: Any, settings: Any) -> Any:
    """`settings` as given with `kind` filled in (layout files and documents omit it)."""
    if isinstance(settings, Mapping) and "kind" not in settings and isinstance(kind, str):
        return {**settings, "kind": kind}
    return settings


def with_settings_kind(data: Any) -> Any:
    """A raw document (a layout's device, a config document) whose `settings` take its `kind`."""
    if isinstance(data, Mapping):
        return {**data, "settings": settings_with_kind(data.get("kind"), data.get("settings", {}))}
    return data


def device_config(kind: str, settings: Mapping[str, Any]) -> DeviceConfigBase:
    """Validate settings as the config of `kind`; pydantic's ValidationError when they are not."""
    return _CONFIG_ADAPTER.validate_python(settings_with_kind(kind, settings))


__all__ = [
    "EVERY_DEVICE_SENDS",
    "EVERY_DEVICE_TAKES",
    "KINDS",
    "MAY_SEND",
    "OPENING_CHECK_KINDS",
    "DeviceConfig",
    "DeviceConfigBase",
    "DeviceKind",
    "DeviceKindSpec",
    "device_config",
    "kinds_sending",
    "label",
    "may_send",
    "settings_with_kind",
    "spec",
    "with_settings_kind",
]
