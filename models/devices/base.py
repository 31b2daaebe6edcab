"""What every device kind module declares: its config model's base and its DeviceKindSpec."""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.commands import CommandType
from models.events import EventType

EVERY_DEVICE_SENDS: frozenset[EventType] = frozenset(
    {
        EventType.DEVICE_FAULT,  # DEV-4, raised by any driver through its runtime
        EventType.CONFIG_APPLIED,
        EventType.CONFIG_REJECTED,
        EventType.COMMAND_RESULT,
        EventType.HEARTBEAT,
    }
)
"""Event types the edge runtime sends for every device, whatever its kind."""

EVERY_DEVICE_TAKES: frozenset[CommandType] = frozenset({CommandType.RELOAD_CONFIG})
"""Commands the edge runtime carries out for every device, whatever its kind."""


class DeviceConfigBase(BaseModel):
    """Base of every device kind's settings: frozen, unknown keys are an error.

    Each subclass declares `kind: Literal["<its kind>"]`, the discriminator of the union
    `models.devices.DeviceConfig`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    if TYPE_CHECKING:  # each kind declares its own `kind: Literal[...]` field
        kind: str
    backend: Literal["real", "simulated"] = Field(
        default="simulated", description="real hardware, or the simulated peer"
    )


@dataclass(frozen=True, slots=True)
class DeviceKindSpec:
    """One device kind: its config model, its labels, and what it may send and take."""

    kind: str
    config: type[DeviceConfigBase]
    label_zh: str
    label_en: str
    opening_check: bool
    """Checked at the opening check (rule DEV-1 attendance machines and screens; DEV-3)."""
    sends: frozenset[EventType]
    """The kind's own facts; `may_send` adds what the runtime sends for every device."""
    takes: frozenset[CommandType] = field(default_factory=frozenset)
    """The commands its driver carries out; `accepts` adds the runtime's own."""
    busy_day_facts: int = 5_000
    """Facts one device of this kind sends on a busy day, with headroom (a busy window serves
    ~300 citizens: a few facts each, plus faults); sizes the edge outbox (edge.agent)."""

    def __post_init__(self) -> None:
        annotation = self.config.model_fields["kind"].annotation
        if typing.get_args(annotation) != (self.kind,):
            raise TypeError(f"{self.config.__name__}.kind must be Literal[{self.kind!r}]")
        if self.config.model_fields["kind"].default != self.kind:
            raise TypeError(f"{self.config.__name__}.kind must default to {self.kind!r}")

    @property
    def may_send(self) -> frozenset[EventType]:
        """Every event type a device of this kind may send (its own and the runtime's)."""
        return self.sends | EVERY_DEVICE_SENDS

    @property
    def accepts(self) -> frozenset[CommandType]:
        """Every command a device of this kind carries out."""
        return self.takes | EVERY_DEVICE_TAKES

    def label(self, lang: str) -> str:
        """The kind's name in `lang` (zh-CN unless English is asked for)."""
        return self.label_en if lang.lower().startswith("en") else self.label_zh
