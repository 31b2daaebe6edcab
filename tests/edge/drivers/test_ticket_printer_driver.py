"""The ESC/POS ticket printer through python-escpos against a pseudo-terminal printer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from edge.drivers.ticket_printer import TicketPrinterConfig, TicketPrinterDriver
from models.commands import DisplayText, PrintTicket, make_command
from tests.support.device_context import RecordingContext
from tests.support.waiting import wait_until as wait_for


@pytest.fixture
def printer() -> Iterator[tuple[TicketPrinterDriver, RecordingContext]]:
    ctx = RecordingContext("hall-printer")
    # the tickets below were issued on a fixed day: print whatever their age
    drv = TicketPrinterDriver(ctx, TicketPrinterConfig(title="示范政务服务大厅", max_age_s=None))
    drv.start()
    yield drv, ctx
    drv.stop()
    drv.stop()


def ticket(number: str = "A012", ahead: int = 3) -> Any:
    body = PrintTicket(
        ticket=number,
        service_name="社保业务",
        ahead=ahead,
        issued_at=datetime(2026, 11, 23, 1, 5, tzinfo=UTC),
    )
    return make_command(hall="demo", device="hall-printer", ts=datetime.now(UTC), body=body)


def test_ticket_shows_number_service_people_ahead_and_local_time(printer: Any) -> None:
    drv, ctx = printer
    assert drv.handle(ticket()).ok
    wait_for(lambda: len(drv.peer.tickets) == 1)
    lines = drv.peer.tickets[0]
    assert lines[:5] == [
        "示范政务服务大厅",
        "A012",
        "社保业务",
        "您前面还有 3 人",
        "取号时间 2026-11-23 09:05",
    ]
    assert drv.peer.status_queries == 1  # the paper sensor is asked before printing
    assert ctx.faults == []


def test_out_of_paper_is_a_fault_and_clears_when_paper_is_loaded(printer: Any) -> None:
    # rule DEV-4
    drv, ctx = printer
    drv.peer.paper = False
    outcome = drv.handle(ticket("A013"))
    assert not outcome.ok and outcome.detail == "printer_out_of_paper"
    assert ctx.faults == [("printer_out_of_paper", "ticket printer is out of paper", True)]
    assert drv.status() == "fault"
    drv.peer.paper = True
    assert drv.handle(ticket("A014", ahead=0)).ok
    assert ctx.faults[-1][0] == "printer_out_of_paper" and ctx.faults[-1][2] is False
    wait_for(lambda: len(drv.peer.tickets) == 1)
    assert drv.peer.tickets[0][1] == "A014"


def test_other_commands_are_refused(printer: Any) -> None:
    drv, _ = printer
    cmd = make_command(
        hall="demo", device="hall-printer", ts=datetime.now(UTC), body=DisplayText(text="x")
    )
    assert not drv.handle(cmd).ok


def test_real_backend_needs_a_port_or_usb_ids() -> None:
    for cfg in (
        TicketPrinterConfig(backend="real"),
        TicketPrinterConfig(backend="real", connection="usb"),
    ):
        with pytest.raises(ValueError, match="needs"):
            TicketPrinterDriver(RecordingContext("p"), cfg).start()


def test_a_ticket_queued_while_the_printer_was_away_is_not_printed_late() -> None:
    # rule DEV-4: the kiosk told the citizen the number long ago; a late slip would mislead
    ctx = RecordingContext("hall-printer")
    drv = TicketPrinterDriver(ctx, TicketPrinterConfig(max_age_s=60))
    drv.start()
    try:
        fresh = PrintTicket(ticket="A020", service_name="社保业务", ahead=0, issued_at=ctx.now())
        old = fresh.model_copy(
            update={"ticket": "A019", "issued_at": ctx.now() - timedelta(minutes=5)}
        )
        late = drv.handle(make_command(hall="demo", device="hall-printer", ts=ctx.now(), body=old))
        assert not late.ok and late.detail.startswith("ticket_stale")
        assert drv.handle(
            make_command(hall="demo", device="hall-printer", ts=ctx.now(), body=fresh)
        ).ok
        wait_for(lambda: len(drv.peer.tickets) == 1)
        assert drv.peer.tickets[0][1] == "A020"
    finally:
        drv.stop()
