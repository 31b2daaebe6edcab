"""What the agent knows about its machine: clock synchronisation (kernel NTP state) and CPU heat.

The kernel's NTP discipline (adjtimex) says whether the clock is synchronised (chrony,
systemd-timesyncd or ntpd set it) and by how much it is still being corrected. Reading it needs
no privilege. Where adjtimex is not available the clock is reported as not synchronised, and
the hub judges such events knowing that (the envelope's `synced` flag).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

logger = logging.getLogger(__name__)

THERMAL = Path("/sys/class/thermal")
_TIME_ERROR = 5
_STA_UNSYNC = 0x0040
_STA_NANO = 0x2000


class _Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


class _Timex(ctypes.Structure):
    """struct timex of <sys/timex.h> (Linux)."""

    _fields_ = [
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("constant", ctypes.c_long),
        ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long),
        ("time", _Timeval),
        ("tick", ctypes.c_long),
        ("ppsfreq", ctypes.c_long),
        ("jitter", ctypes.c_long),
        ("shift", ctypes.c_int),
        ("stabil", ctypes.c_long),
        ("jitcnt", ctypes.c_long),
        ("calcnt", ctypes.c_long),
        ("errcnt", ctypes.c_long),
        ("stbcnt", ctypes.c_long),
        ("tai", ctypes.c_int),
        ("_pad", ctypes.c_int * 11),
    ]


@dataclass(frozen=True, slots=True)
class ClockState:
    """Whether the clock is synchronised, and the offset still being corrected (ms), if known."""

    synced: bool
    offset_ms: float | None


@cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def read_clock() -> ClockState:
    """Ask the kernel (adjtimex, read-only) whether the system clock is synchronised."""
    if not sys.platform.startswith("linux"):
        return ClockState(False, None)
    try:
        libc = _libc()
        tx = _Timex()
        state = libc.adjtimex(ctypes.byref(tx))
    except (OSError, AttributeError):
        logger.debug("adjtimex is not available")
        return ClockState(False, None)
    if state < 0:
        return ClockState(False, None)
    synced = state != _TIME_ERROR and not tx.status & _STA_UNSYNC
    divisor = 1_000_000 if tx.status & _STA_NANO else 1_000
    return ClockState(synced, tx.offset / divisor)


def read_cpu_temp(root: Path = THERMAL) -> float | None:
    """The CPU temperature in °C from the first thermal zone, or None where there is none."""
    for zone in sorted(root.glob("thermal_zone*")):
        try:
            return int((zone / "temp").read_text().strip()) / 1000.0
        except (OSError, ValueError):
            continue
    return None


class Clock:
    """The agent's view of its clock, re-read every `refresh_s`; `forced_synced` overrides it."""

    def __init__(self, forced_synced: bool | None = None, refresh_s: float = 5.0) -> None:
        self.forced_synced = forced_synced
        self.refresh_s = refresh_s
        self._cached: tuple[float, ClockState] | None = None

    def state(self) -> ClockState:
        """The current sync state and offset."""
        now = time.monotonic()
        if self._cached is None or now - self._cached[0] > self.refresh_s:
            state = read_clock()
            if self.forced_synced is not None:
                state = ClockState(self.forced_synced, state.offset_ms)
            self._cached = (now, state)
        return self._cached[1]
