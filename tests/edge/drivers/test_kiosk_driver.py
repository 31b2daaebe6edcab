"""The simulated kiosk emits TicketIssued for the hub to number."""

from __future__ import annotations

import time

import pytest

from edge.drivers.kiosk import KioskConfig, KioskDriver
from models.events import TicketIssued
from tests.support.device_context import RecordingContext


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
