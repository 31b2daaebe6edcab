"""Pure fleet health logic: device status, alert conditions, alert reconciliation, opening check.

Everything here takes plain values and returns plain values (no I/O, no clock of its own).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from models import devices


class Status(StrEnum):
    """What the hub knows about a device right now."""

    UNKNOWN = "unknown"  # never heard from
    ONLINE = "online"
    INACTIVE = "inactive"  # says online, but silent for longer than the inactivity timeout
    OFFLINE = "offline"  # its state (LWT) says offline


class AlertKind(StrEnum):
    """Alert kinds; a device fault is `fault:<code>` (see fault_kind)."""

    OFFLINE = "offline"
    INACTIVE = "inactive"
    CLOCK_SKEW = "clock_skew"
    OUTBOX_BACKLOG = "outbox_backlog"
    CONFIG_REJECTED = "config_rejected"


FAULT_PREFIX = "fault:"
OPENING_CHECK_KINDS: frozenset[str] = devices.OPENING_CHECK_KINDS
"""Device kinds the opening check looks at (rule DEV-1: attendance machines and screens;
rule DEV-3: rating devices and screens), as models/devices/ marks them."""


def fault_kind(code: str) -> str:
    """The alert kind of a device fault code."""
    return f"{FAULT_PREFIX}{code}"


@dataclass(frozen=True, slots=True)
class FleetPolicy:
    """Thresholds of fleet health; every number is a setting."""

    inactivity_s: float = 180.0
    """No message at all for this long while online -> inactive (heartbeats come every ~30 s)."""
    clock_skew_ms: float = 2000.0
    """A device clock further than this from the hub's -> clock_skew."""
    backlog_fraction: float = 0.5
    """An outbox fuller than this fraction of its capacity -> outbox_backlog."""
    quiet_hours: tuple[str, str] | None = None
    """Local ("HH:MM", "HH:MM") span when devices are switched off (rule DEV-2): no new
    offline/inactive alerts then; None: always watched."""
    reopen_within_s: float = 6 * 3600.0
    """An alert that comes back within this long of being resolved is re-opened (one incident,
    counted again), not raised anew."""
    heartbeat_sample_s: float = 900.0
    """A device's heartbeat history keeps at most one heartbeat this often (hub time)."""
    heartbeat_retention_days: float = 30.0
    """Heartbeat history older than this is deleted."""


def sample_due(last: datetime | None, at: datetime, policy: FleetPolicy) -> bool:
    """Keep this heartbeat in the device's history: the first, or `heartbeat_sample_s` on."""
    return last is None or (at - last).total_seconds() >= policy.heartbeat_sample_s


QUIET_KINDS: frozenset[str] = frozenset({"offline", "inactive"})
"""Alert kinds not opened during quiet hours (devices are switched off at night, rule DEV-2)."""


def _minutes(hhmm: str) -> int:
    hh, mm = hhmm.split(":")
    return int(hh) * 60 + int(mm)


def in_quiet_hours(now: datetime, tz: ZoneInfo, policy: FleetPolicy) -> bool:
    """True when `now`, in the hall's zone, is inside the quiet hours (which may span midnight)."""
    if policy.quiet_hours is None:
        return False
    start, end = (_minutes(t) for t in policy.quiet_hours)
    local = now.astimezone(tz)
    minute = local.hour * 60 + local.minute
    if start <= end:
        return start <= minute < end
    return minute >= start or minute < end


@dataclass(frozen=True, slots=True)
class HeartbeatValues:
    """The fields of one heartbeat the fleet keeps (rule DEV-2: devices on and checked)."""

    at: datetime
    uptime_s: float
    agent_version: str
    contract_version: int
    config_version: int | None
    outbox_depth: int
    outbox_capacity: int
    clock_offset_ms: float | None
    clock_synced: bool
    cpu_temp_c: float | None
    driver_status: str
    observed_skew_ms: float | None = None
    """Device timestamp minus hub receive time, as the hub measured it."""
    faults: tuple[Fault, ...] = ()
    """The problems the device has now, as its heartbeat says (Heartbeat.faults)."""


@dataclass(frozen=True, slots=True)
class Fault:
    """An active device fault (rule DEV-4)."""

    code: str
    message: str
    severity: str = "error"
    via_heartbeat: bool = False
    """Known from the heartbeat only (no fact of it arrived: a full outbox stores none); the
    next heartbeat without it takes it down."""


@dataclass(frozen=True, slots=True)
class Health:
    """Everything the hub knows about one device's health."""

    online: bool | None = None
    state_at: datetime | None = None
    last_seen: datetime | None = None
    heartbeat: HeartbeatValues | None = None
    faults: Mapping[str, Fault] = field(default_factory=dict)
    applied_config_version: int | None = None
    applied_config_at: datetime | None = None
    rejected_config_version: int | None = None
    rejected_config_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Condition:
    """An alert condition that holds now."""

    kind: str
    message: str
    severity: str = "warning"


@dataclass(frozen=True, slots=True)
class AlertChanges:
    """What to do with a device's alerts: open these, resolve those (by kind)."""

    open: tuple[Condition, ...] = ()
    resolve: tuple[str, ...] = ()


def _later(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a


def seen(health: Health, at: datetime) -> Health:
    """Any message from the device: it was alive at `at` (an unknown device counts as online)."""
    online = True if health.online is None else health.online
    return replace(health, last_seen=_later(health.last_seen, at), online=online)


def apply_state(health: Health, online: bool, at: datetime) -> Health:
    """A retained state message (online, or offline from the LWT); a stale one is ignored."""
    if health.state_at is not None and at < health.state_at:
        return health
    last_seen = _later(health.last_seen, at) if online else health.last_seen
    return replace(health, online=online, state_at=at, last_seen=last_seen)


def apply_heartbeat(health: Health, hb: HeartbeatValues) -> Health:
    """A heartbeat: keep its values (the newest one wins) and mark the device seen.

    Its faults are the device's problems now (rule DEV-4): each one no fact has raised is
    kept as known from the heartbeat, and those the heartbeat no longer names are over.
    """
    health = seen(health, hb.at)
    if health.heartbeat is not None and hb.at < health.heartbeat.at:
        return health
    faults = {code: f for code, f in health.faults.items() if not f.via_heartbeat}
    for fault in hb.faults:
        faults.setdefault(fault.code, replace(fault, via_heartbeat=True))
    return replace(health, heartbeat=hb, faults=faults)


def apply_fault(health: Health, code: str, message: str, severity: str, active: bool) -> Health:
    """A device fault raised (active) or cleared (rule DEV-4)."""
    faults = dict(health.faults)
    if active:
        faults[code] = Fault(code, message, severity)
    else:
        faults.pop(code, None)
    return replace(health, faults=faults)


def apply_config_applied(health: Health, version: int, at: datetime) -> Health:
    """The device applied a config version (its latest report wins, even a lower number after
    the hub's database was rebuilt); a rejection of that version or older is over."""
    rejected = health.rejected_config_version
    cleared = rejected is not None and version >= rejected
    return replace(
        health,
        applied_config_version=version,
        applied_config_at=at,
        rejected_config_version=None if cleared else rejected,
        rejected_config_reason=None if cleared else health.rejected_config_reason,
    )


def apply_config_rejected(health: Health, version: int, reason: str) -> Health:
    """The device refused a config version and kept its old one."""
    if health.applied_config_version is not None and version <= health.applied_config_version:
        return health  # an old rejection, already superseded
    return replace(health, rejected_config_version=version, rejected_config_reason=reason)


def status(health: Health, now: datetime, policy: FleetPolicy) -> Status:
    """Online, offline, inactive (silent too long) or unknown."""
    if health.online is None:
        return Status.UNKNOWN
    if not health.online:
        return Status.OFFLINE
    if health.last_seen is None or now - health.last_seen > timedelta(seconds=policy.inactivity_s):
        return Status.INACTIVE
    return Status.ONLINE


def skew_ms(hb: HeartbeatValues) -> float | None:
    """The device clock's distance from true time: its own measure, else the hub's.

    The hub's measure (device time minus receive time) only counts when the device is ahead:
    a message cannot arrive before it was sent, while a device that seems behind may only
    have sent the heartbeat late (held in its outbox while offline).
    """
    if hb.clock_offset_ms is not None:
        return hb.clock_offset_ms
    if hb.observed_skew_ms is not None and hb.observed_skew_ms > 0:
        return hb.observed_skew_ms
    return None


def conditions(health: Health, now: datetime, policy: FleetPolicy) -> list[Condition]:
    """Every alert condition that holds for the device now."""
    out: list[Condition] = []
    st = status(health, now, policy)
    if st is Status.OFFLINE:
        out.append(Condition(AlertKind.OFFLINE, "device is offline", "error"))
    elif st is Status.INACTIVE:
        silent = "never" if health.last_seen is None else f"{(now - health.last_seen)}"
        out.append(Condition(AlertKind.INACTIVE, f"no message for {silent}", "warning"))
    hb = health.heartbeat
    if hb is not None and st is not Status.OFFLINE:
        skew = skew_ms(hb)
        if skew is not None and abs(skew) > policy.clock_skew_ms:
            out.append(
                Condition(
                    AlertKind.CLOCK_SKEW,
                    f"clock is {skew:+.0f} ms off (limit {policy.clock_skew_ms:.0f})",
                )
            )
        if hb.outbox_depth > policy.backlog_fraction * hb.outbox_capacity:
            out.append(
                Condition(
                    AlertKind.OUTBOX_BACKLOG,
                    f"outbox holds {hb.outbox_depth} of {hb.outbox_capacity}",
                )
            )
    for fault in sorted(health.faults.values(), key=lambda f: f.code):
        out.append(Condition(fault_kind(fault.code), fault.message, fault.severity))
    if health.rejected_config_version is not None:
        out.append(
            Condition(
                AlertKind.CONFIG_REJECTED,
                f"config v{health.rejected_config_version} rejected: "
                f"{health.rejected_config_reason}",
                "error",
            )
        )
    return out


def owned(kind: str) -> bool:
    """True for the alert kinds device health decides (the rest: hub.fleet.raised)."""
    return kind in AlertKind.__members__.values() or kind.startswith(FAULT_PREFIX)


def reconcile(
    open_kinds: Iterable[str], current: Sequence[Condition], held: frozenset[str] = frozenset()
) -> AlertChanges:
    """Open an alert for each new condition, resolve each open alert whose condition cleared.

    At most one alert per device and kind is open: a condition already open opens nothing.
    Kinds in `held` open nothing new (quiet hours), but still resolve when they clear.
    """
    open_set = {k for k in open_kinds if owned(k)}  # others are raised and resolved elsewhere
    now_kinds = {c.kind for c in current}
    to_open = tuple(c for c in current if c.kind not in open_set and c.kind not in held)
    to_resolve = tuple(sorted(open_set - now_kinds))
    return AlertChanges(open=to_open, resolve=to_resolve)


@dataclass(frozen=True, slots=True)
class DeviceSnapshot:
    """One registered device and its health, as the opening check sees it."""

    hall: str
    device: str
    kind: str | None
    health: Health


@dataclass(frozen=True, slots=True)
class Problem:
    """A device found not healthy by the opening check."""

    device: str
    kind: str | None
    status: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OpeningReport:
    """The opening check of one hall on one day (rule DEV-1)."""

    hall: str
    day: date
    due_at: datetime
    checked_at: datetime
    checked: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """True when every checked device is healthy."""
        return not self.problems


def check_at(day: date, opening_time: str, minutes_before: int, tz: ZoneInfo) -> datetime:
    """When the opening check of `day` is due: opening time minus the lead (rule DEV-1)."""
    hh, mm = (int(p) for p in opening_time.split(":"))
    opening = datetime.combine(day, time(hh, mm), tzinfo=tz)
    return opening - timedelta(minutes=minutes_before)


def due_check_day(
    now: datetime, last_day: date | None, opening_time: str, minutes_before: int, tz: ZoneInfo
) -> date | None:
    """The local day whose opening check is due and not yet done, or None (rule DEV-1)."""
    today = now.astimezone(tz).date()
    if last_day is not None and last_day >= today:
        return None
    if now >= check_at(today, opening_time, minutes_before, tz):
        return today
    return None


def device_problems(snap: DeviceSnapshot, now: datetime, policy: FleetPolicy) -> Problem | None:
    """Why a device is not healthy, or None when it is (rules DEV-1, DEV-2)."""
    st = status(snap.health, now, policy)
    reasons: list[str] = []
    if st is not Status.ONLINE:
        reasons.append(
            {
                Status.UNKNOWN: "never reported",
                Status.OFFLINE: "offline",
                Status.INACTIVE: "silent",
            }[st]
        )
    for fault in sorted(snap.health.faults.values(), key=lambda f: f.code):
        if fault.severity != "warning":
            reasons.append(f"fault {fault.code}: {fault.message}")
    hb = snap.health.heartbeat
    if st is Status.ONLINE and hb is not None and hb.driver_status not in ("ok", ""):
        reasons.append(f"driver {hb.driver_status}")
    if not reasons:
        return None
    return Problem(snap.device, snap.kind, st.value, tuple(reasons))


def opening_check(
    hall: str,
    day: date,
    due_at: datetime,
    now: datetime,
    devices: Iterable[DeviceSnapshot],
    policy: FleetPolicy,
    kinds: frozenset[str] = OPENING_CHECK_KINDS,
) -> OpeningReport:
    """Which face terminals, displays and rating devices are not healthy (rules DEV-1, DEV-3)."""
    checked = [d for d in devices if d.hall == hall and d.kind in kinds]
    problems = [p for d in checked if (p := device_problems(d, now, policy)) is not None]
    problems.sort(key=lambda p: p.device)
    return OpeningReport(hall, day, due_at, now, len(checked), tuple(problems))
