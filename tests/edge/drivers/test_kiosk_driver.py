"""The simulated kiosk emits TicketIssued for the hub to number."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

import pytest

from edge.drivers.kiosk import KioskConfig, KioskDriver
from models.events import EventBody, EventType, TicketIssued


class RecordingContext:
    """A real DeviceContext that keeps what the driver emits."""

    def __init__(self, device: str) -> None:
        self.hall, self.device, self.tz = "demo", device, ZoneInfo("Asia/Shanghai")
        self.events: list[EventBody] = []
        self.faults: list[tuple[str, str, bool]] = []

    def emit(self, body: EventBody, type: EventType | None = None) -> None:
        self.events.append(body)

    def fault(
        self,
        code: str,
        message: str,
        *,
        active: bool = True,
        severity: Literal["warning", "error", "critical"] = "error",
    ) -> None:
        self.faults.append((code, message, active))

    def now(self) -> datetime:
        return datetime.now(self.tz)


def test_take_emits_ticket_issued() -> None:
    # rule QUEUE-1, QUEUE-2
    ctx = RecordingContext("hall-kiosk")
    k = KioskDriver(ctx, KioskConfig(services=["social", "medical"]))
    k.start()
    k.take("social")
    k.take("medical", green_channel=True)
    with pytest.raises(ValueError, match="does not offer"):
        k.take("fund")
    k.stop()
    assert ctx.events == [
        TicketIssued(service="social"),
        TicketIssued(service="medical", green_channel=True),
    ]


def test_demo_citizens_take_numbers_by_themselves() -> None:
    ctx = RecordingContext("hall-kiosk")
    k = KioskDriver(ctx, KioskConfig(services=["social"], sim_interval_s=0.01, seed=1))
    k.start()
    deadline = time.monotonic() + 5
    while len(ctx.events) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    k.stop()
    assert len(ctx.events) >= 3
    assert all(isinstance(e, TicketIssued) and e.service == "social" for e in ctx.events)


def test_no_real_backend() -> None:
    with pytest.raises(ValueError, match="no real backend"):
        KioskDriver(RecordingContext("k"), KioskConfig(backend="real")).start()
