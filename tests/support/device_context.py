"""Driver test support: a real DeviceContext that records what a driver emits and raises
(the polling wait is `tests.support.waiting.wait_until`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from models.events import EventBody, EventType, Presence

HALL_TZ = ZoneInfo("Asia/Shanghai")
Severity = Literal["warning", "error", "critical"]


@dataclass(frozen=True, slots=True)
class FaultRecord:
    """One fault a driver raised or cleared, with its severity."""

    code: str
    message: str
    active: bool
    severity: Severity


class RecordingContext:
    """A DeviceContext that records emitted facts and raised (or cleared) faults."""

    def __init__(
        self,
        device: str,
        *,
        seat: str | None = None,
        window: str | None = None,
        hall: str = "demo",
        tz: ZoneInfo = HALL_TZ,
        reports_facts: bool = True,
    ) -> None:
        self.hall, self.device, self.tz = hall, device, tz
        self.window = window
        self.seat = seat
        self.reports_facts = reports_facts
        self.events: list[EventBody] = []
        self.faults: list[tuple[str, str, bool]] = []  # (code, message, active)
        self.fault_records: list[FaultRecord] = []  # the same, with the severity
        self._lock = threading.Lock()

    def emit(self, body: EventBody, type: EventType | None = None) -> None:
        """Keep the fact (an AssertionError for a device that reports none)."""
        if not self.reports_facts:
            raise AssertionError(f"{self.device} reports no facts")
        with self._lock:
            self.events.append(body)

    def fault(
        self,
        code: str,
        message: str,
        *,
        active: bool = True,
        severity: Severity = "error",
    ) -> None:
        """Keep the fault (raised, or cleared when `active` is False)."""
        with self._lock:
            self.faults.append((code, message, active))
            self.fault_records.append(FaultRecord(code, message, active, severity))

    def now(self) -> datetime:
        """Aware local time."""
        return datetime.now(self.tz)

    def snapshot(self) -> list[EventBody]:
        """A copy of the facts so far."""
        with self._lock:
            return list(self.events)

    def of(self, kind: type) -> list[Any]:
        """The facts so far of one body type."""
        return [e for e in self.snapshot() if isinstance(e, kind)]

    def presences(self) -> list[bool]:
        """The presence changes so far."""
        return [e.present for e in self.of(Presence)]

    def fault_states(self) -> list[tuple[str, bool]]:
        """The faults so far as (code, active)."""
        with self._lock:
            return [(code, active) for code, _, active in self.faults]
