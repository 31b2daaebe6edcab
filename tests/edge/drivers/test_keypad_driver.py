"""The counter keypad driver on a pseudo-terminal peer: frames in, CallRequest events out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from edge.drivers.counter_keypad import CounterKeypadConfig, CounterKeypadDriver
from models.events import CallAction, CallRequest
from tests.support.device_context import RecordingContext
from tests.support.waiting import wait_until as wait_for


@pytest.fixture
def keypad() -> Iterator[tuple[CounterKeypadDriver, RecordingContext]]:
    ctx = RecordingContext("w03-keypad")
    drv = CounterKeypadDriver(ctx, CounterKeypadConfig(address=3))
    drv.start()
    yield drv, ctx
    drv.stop()
    drv.stop()


def test_each_key_becomes_a_call_request_for_its_window(keypad: Any) -> None:
    drv, ctx = keypad
    assert drv.peer is not None
    drv.peer.press("next")
    drv.peer.press("call", ticket="A012")
    drv.peer.press("transfer", target_service="medical")
    drv.peer.press("pause")
    wait_for(lambda: len(ctx.events) == 4)
    assert ctx.events == [
        CallRequest(window="w03", action=CallAction.NEXT),
        CallRequest(window="w03", action=CallAction.CALL, ticket="A012"),
        CallRequest(window="w03", action=CallAction.TRANSFER, target_service="medical"),
        CallRequest(window="w03", action=CallAction.PAUSE),
    ]


def test_garbled_frame_and_unknown_key_are_faults_and_nothing_after_is_lost(keypad: Any) -> None:
    # rule DEV-4
    drv, ctx = keypad
    assert drv.peer is not None
    drv.peer.write(b"\xaa\x02\x03\x01\x99")  # wrong checksum
    drv.peer.write(b"\xaa\x02\x03\x7e\x83")  # key 0x7e does not exist
    drv.peer.press("recall")
    wait_for(lambda: len(ctx.events) == 1 and len(ctx.faults) == 4)
    assert [(f[0], f[2]) for f in ctx.faults] == [
        ("keypad_garbled_frame", True),
        ("keypad_unknown_key", True),
        ("keypad_garbled_frame", False),  # the next good frame clears them
        ("keypad_unknown_key", False),
    ]
    assert "checksum mismatch" in ctx.faults[0][1]
    assert "unknown key 0x7e" in ctx.faults[1][1]
    assert ctx.events == [CallRequest(window="w03", action=CallAction.RECALL)]
    assert drv.status() == "ok" and drv.errors == 2


def test_frames_for_another_address_are_ignored(keypad: Any) -> None:
    drv, ctx = keypad
    from edge.serialproto.keypad import KeyPress, encode_key

    assert drv.peer is not None
    drv.peer.write(encode_key(KeyPress(9, "next")))
    drv.peer.press("finish")
    wait_for(lambda: len(ctx.events) == 1)
    assert ctx.events == [CallRequest(window="w03", action=CallAction.FINISH)]
    assert ctx.faults == []


def test_real_backend_needs_a_port() -> None:
    drv = CounterKeypadDriver(RecordingContext("w01-keypad"), CounterKeypadConfig(backend="real"))
    with pytest.raises(ValueError, match="port"):
        drv.start()


def test_a_stray_start_byte_holds_no_press_back_past_the_frame_timeout(keypad: Any) -> None:
    # issue 21: "AA 22" (a start byte and a plausible length) held the next seven presses
    drv, ctx = keypad
    assert drv.peer is not None and drv.config.frame_timeout_ms == 50
    delays = []
    for n in range(5):
        drv.peer.write(b"\xaa\x22")
        time.sleep(0.02)
        sent = time.monotonic()
        drv.peer.press("next")
        wait_for(lambda: len(ctx.events) == n + 1, 5)  # noqa: B023 - waited for at once
        delays.append(time.monotonic() - sent)
    print("press delays behind a stray start byte (s):", [round(d, 3) for d in delays])
    # 50 ms frame timeout; the rest is this loaded machine's thread wake-ups
    assert sorted(delays)[len(delays) // 2] < 0.15, delays
    assert any(f[0] == "keypad_garbled_frame" and "half frame" in f[1] for f in ctx.faults)
