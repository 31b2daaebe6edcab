"""The hall layout in firmware_cfg/: windows, seats, services and devices.

Read by the hub (device registry, config push) and by the edge (which devices a Pi runs).
`load_hall` is the one function in models/ that reads files: it parses a folder of TOML.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.devices import (
    KINDS,
    DeviceConfig,
    DeviceKind,
    settings_with_kind,
    with_settings_kind,
)
from models.errors import ContractError, explain
from models.topics import NAME_RE


class LayoutError(ContractError):
    """A hall folder's device files whose settings do not fit their kind: one problem each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class LayoutModel(BaseModel):
    """Strict, frozen config model."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Service(LayoutModel):
    """A service citizens take numbers for (QUEUE-1)."""

    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="Service code")
    name: str = Field(description="Name shown on tickets and screens")
    prefix: str = Field(pattern=r"^[A-Z]{1,3}$", description="Ticket prefix, e.g. A -> A012")
    immediate: bool = Field(default=True, description="即办件: finished within 30 min (QUEUE-5)")
    promised_days: int | None = Field(
        default=None,
        ge=1,
        le=365,
        description="承诺件: finished within this many working days of acceptance (QUEUE-5)",
    )

    @model_validator(mode="after")
    def _promise(self) -> Service:
        if self.immediate and self.promised_days is not None:
            raise ValueError(f"service {self.code}: an immediate case (即办件) has no promise")
        return self


class Window(LayoutModel):
    """A service window (窗口) with its seats (one per staff post) and the services it serves."""

    id: str = Field(pattern=NAME_RE.pattern)
    number: int = Field(ge=1, description="The number citizens see: 3 -> 请到3号窗口")
    name: str = ""
    services: list[str] = Field(default_factory=list, description="Service codes served")
    seats: list[str] = Field(min_length=1, description="Seat ids, one per post (A/B, POST-7)")
    neighbours: list[str] = Field(default_factory=list, description="Adjacent windows (POST-4)")
    seat_names: dict[str, str] = Field(
        default_factory=dict,
        description="What the hall calls a seat, by seat id (1号窗口A岗); else its id is shown",
    )

    @property
    def called(self) -> str:
        """What the hall calls the window: its name, else 3号窗口 (never the id w03)."""
        return self.name or f"{self.number}号窗口"

    @model_validator(mode="after")
    def _named_seats(self) -> Window:
        unknown = sorted(set(self.seat_names) - set(self.seats))
        if unknown:
            raise ValueError(f"window {self.id} names seats it does not have: {', '.join(unknown)}")
        return self


class Device(LayoutModel):
    """One device: which kind, where it is, which Pi runs it, and its settings."""

    id: str = Field(pattern=NAME_RE.pattern, description="Device id, unique in the hall")
    kind: DeviceKind = Field(description="Device kind (models/devices/)")
    node: str = Field(pattern=NAME_RE.pattern, description="The edge agent (Pi) that runs it")
    window: str | None = Field(default=None, description="Window it serves, if any")
    seat: str | None = Field(default=None, description="Seat it serves, if any")
    name: str = Field(
        default="", max_length=64, description="What the hall calls it (入口考勤机); empty: none"
    )
    settings: DeviceConfig = Field(description="Settings of its kind; `kind` may be omitted")

    @model_validator(mode="before")
    @classmethod
    def _settings_kind(cls, data: Any) -> Any:
        return with_settings_kind(data)

    @model_validator(mode="after")
    def _same_kind(self) -> Device:
        if self.settings.kind != self.kind:
            raise ValueError(f"device {self.id}: settings are for {self.settings.kind}")
        return self


class Hall(LayoutModel):
    """A service hall (政务服务大厅) and everything in it."""

    id: str = Field(pattern=NAME_RE.pattern)
    name: str
    timezone: str = Field(default="Asia/Shanghai", description="The zone that decides the day")
    attendance_policy: str = Field(default="wenshang-2021", description="Preset or TOML path")
    opening_time: str = Field(default="08:30", pattern=r"^\d\d:\d\d$")
    opening_check_minutes: int = Field(default=10, ge=0, le=120, description="DEV-1")
    closing_time: str | None = Field(
        default=None, pattern=r"^\d\d:\d\d$", description="No tickets from this time on (QUEUE-6)"
    )
    seasonal_closing: bool = Field(
        default=False,
        description="Without closing_time: close at the attendance policy's last stop time of "
        "the season (wenshang-2021: 18:00 summer, 17:30 winter) (QUEUE-6)",
    )
    services: list[Service] = Field(default_factory=list)
    windows: list[Window] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Hall:
        windows = {w.id for w in self.windows}
        seats = {s for w in self.windows for s in w.seats}
        services = {s.code for s in self.services}
        ids = [d.id for d in self.devices]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"device ids used twice: {', '.join(dupes)}")
        for w in self.windows:
            for code in w.services:
                if code not in services:
                    raise ValueError(f"window {w.id} serves unknown service {code!r}")
        for d in self.devices:
            if d.window is not None and d.window not in windows:
                raise ValueError(f"device {d.id} names unknown window {d.window!r}")
            if d.seat is not None and d.seat not in seats:
                raise ValueError(f"device {d.id} names unknown seat {d.seat!r}")
        return self

    def device(self, device_id: str) -> Device:
        """The device with this id, or KeyError."""
        for d in self.devices:
            if d.id == device_id:
                return d
        raise KeyError(device_id)

    def seat_name(self, seat: str) -> str | None:
        """What the hall calls a seat (Window.seat_names), or None when the layout has no name."""
        for w in self.windows:
            if seat in w.seat_names:
                return w.seat_names[seat]
        return None

    def window_names(self) -> dict[str, str]:
        """Window id -> what the hall calls it (Window.called)."""
        return {w.id: w.called for w in self.windows}

    def node_devices(self, node: str) -> list[Device]:
        """The devices one edge agent runs."""
        return [d for d in self.devices if d.node == node]


def hall_from_dict(data: dict[str, Any]) -> Hall:
    """Validate a hall layout, or raise ContractError with what is wrong."""
    try:
        return Hall.model_validate(data)
    except ValidationError as exc:
        raise ContractError(f"hall layout is not valid: {explain(exc)}") from None


def settings_problem(data: Any) -> str | None:
    """What is wrong with one device entry's settings, by its kind's config model, or None."""
    if not isinstance(data, dict) or data.get("kind") not in KINDS:
        return None  # the Device model itself says what is wrong
    try:
        config = KINDS[data["kind"]].config
        config.model_validate(settings_with_kind(data["kind"], data.get("settings", {})))
    except ValidationError as exc:
        return f"settings: {explain(exc)}"
    return None


def load_hall(folder: Path) -> Hall:
    """Read `hall.toml` and every `devices/*.toml` of a hall folder in firmware_cfg/halls/.

    Every device file whose settings do not fit its kind is named in one ContractError.
    """
    folder = Path(folder)
    hall_file = folder / "hall.toml"
    try:
        data = tomllib.loads(hall_file.read_text(encoding="utf-8"))
        sources = [(f"{hall_file}", d) for d in data.get("devices", [])]
        for path in sorted((folder / "devices").glob("*.toml")):
            try:
                sources.append((f"{path}", tomllib.loads(path.read_text(encoding="utf-8"))))
            except tomllib.TOMLDecodeError as exc:
                raise ContractError(f"{path}: not valid TOML: {exc}") from None
    except FileNotFoundError as exc:
        raise ContractError(
            f"{exc.filename}: no such file; a hall folder needs hall.toml"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ContractError(f"{hall_file}: not valid TOML: {exc}") from None
    problems = [
        f"{source}: {problem}"
        for source, device in sources
        if (problem := settings_problem(device)) is not None
    ]
    if problems:
        raise LayoutError(problems)
    data["devices"] = [device for _source, device in sources]
    return hall_from_dict(data)
