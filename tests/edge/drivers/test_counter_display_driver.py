"""The RS-485 counter display driver against a pseudo-terminal display that answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from edge.drivers.counter_display import CounterDisplayConfig, CounterDisplayDriver
from models.commands import Announce, DisplayText, make_command
from tests.support.device_context import RecordingContext
from tests.support.waiting import wait_until as wait_for


@pytest.fixture
def display() -> Iterator[tuple[CounterDisplayDriver, RecordingContext]]:
    ctx = RecordingContext("w03-led")
    drv = CounterDisplayDriver(ctx, CounterDisplayConfig(address=3, ack_timeout_s=0.3))
    drv.start()
    yield drv, ctx
    drv.stop()
    drv.stop()


def cmd(body: Any) -> Any:
    return make_command(hall="demo", device="w03-led", ts=datetime.now(UTC), body=body)


def test_display_text_reaches_the_display_at_its_address(display: Any) -> None:
    # rule QUEUE-4
    drv, ctx = display
    outcome = drv.handle(cmd(DisplayText(text="A012 请到3号窗口")))
    assert outcome.ok
    assert drv.peer.lines == {0: "A012 请到3号窗口"}
    drv.handle(cmd(DisplayText(text="暂停服务", line=1)))
    assert drv.peer.lines == {0: "A012 请到3号窗口", 1: "暂停服务"}
    assert ctx.faults == []


def test_no_answer_is_a_fault_cleared_by_the_next_answer(display: Any) -> None:
    # rule DEV-4
    drv, ctx = display
    drv.peer.mute = True
    outcome = drv.handle(cmd(DisplayText(text="A013 请到3号窗口")))
    assert not outcome.ok and outcome.detail == "display_no_answer"
    assert drv.status() == "fault"
    assert ctx.faults[0][0] == "display_no_answer" and ctx.faults[0][2] is True
    drv.handle(cmd(DisplayText(text="A014 请到3号窗口")))  # still mute: one fault, not two
    assert len(ctx.faults) == 1
    drv.peer.mute = False
    assert drv.handle(cmd(DisplayText(text="A015 请到3号窗口"))).ok
    assert ctx.faults[-1][0] == "display_no_answer" and ctx.faults[-1][2] is False
    assert drv.peer.lines[0] == "A015 请到3号窗口"


def test_ttl_clears_the_line(display: Any) -> None:
    drv, _ = display
    drv.handle(cmd(DisplayText(text="A001 请到3号窗口", ttl_s=1)))
    wait_for(lambda: 0 not in drv.peer.lines)
    assert drv.peer.shown[-1].clear


def test_other_commands_are_refused(display: Any) -> None:
    drv, _ = display
    assert not drv.handle(cmd(Announce(text="请A012号到3号窗口办理"))).ok
