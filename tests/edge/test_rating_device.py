"""The rating device driver on a pseudo-terminal peer: ShowServing in, Rating events out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from edge.drivers.rating_device import RatingDeviceDriver
from edge.serialproto.framing import encode_raw
from edge.serialproto.rating import (
    CMD_PHONE,
    START,
    AskPhoneFrame,
    AskReasonFrame,
    PromptFrame,
    ShowFrame,
    ThanksFrame,
)
from models.commands import ShowServing, make_command
from models.contact import new_keypair, unseal
from models.devices.rating_device import RatingDeviceConfig
from models.events import Rating
from tests.support.device_context import RecordingContext
from tests.support.waiting import wait_until as poll


def wait_for(cond: Callable[[], Any]) -> None:
    """Poll with this module's deadline of 20 s."""
    poll(cond, timeout=20.0)


def make(**settings: Any) -> tuple[RatingDeviceDriver, RecordingContext]:
    ctx = RecordingContext("w01-rate", seat="w01-a", window="w01")
    drv = RatingDeviceDriver(ctx, RatingDeviceConfig(**settings))
    drv.start()
    return drv, ctx


def show(
    drv: RatingDeviceDriver,
    ticket: str | None,
    staff: str = "S0012",
    dimensions: list[str] | None = None,
) -> None:
    body = ShowServing(
        seat="w01-a", staff_id=staff, name="王芳", ticket=ticket, dimensions=dimensions
    )
    cmd = make_command(hall="demo", device="w01-rate", ts=datetime.now(UTC), body=body)
    assert drv.handle(cmd).ok


@pytest.fixture
def device() -> Iterator[tuple[RatingDeviceDriver, RecordingContext]]:
    drv, ctx = make(timeout_s=5, dimensions=["overall"])  # one press a rating
    yield drv, ctx
    drv.stop()
    drv.stop()


def test_shows_who_serves_and_rates_the_finished_ticket(device: Any) -> None:
    # rule RATE-1, RATE-2
    drv, ctx = device
    peer = drv.peer
    show(drv, "A012")
    wait_for(lambda: peer.screen == ShowFrame(1, "S0012", "王芳", "A012"))
    show(drv, None)  # service finished: the device asks for the rating of A012
    wait_for(lambda: any(isinstance(f, PromptFrame) for f in peer.received))
    wait_for(lambda: peer.screen == ShowFrame(1, "S0012", "王芳", ""))  # ticket cleared
    peer.press(4)
    wait_for(lambda: len(ctx.events) == 1)
    assert ctx.events == [Rating(seat="w01-a", ticket="A012", shown_staff_id="S0012", level=4)]
    wait_for(lambda: isinstance(peer.received[-1], ThanksFrame))


def test_dissatisfied_asks_a_reason_and_dimensions_are_configurable(device: Any) -> None:
    # rule RATE-1, RATE-3
    drv, ctx = device
    drv.stop()
    drv, ctx = make(dimensions=["overall", "attitude", "efficiency"], timeout_s=5)
    try:
        peer = drv.peer
        assert peer is not None
        show(drv, "B003")
        show(drv, "B004")  # next citizen called: B003 is prompted
        wait_for(lambda: any(isinstance(f, PromptFrame) for f in peer.received))
        prompt = next(f for f in peer.received if isinstance(f, PromptFrame))
        assert prompt.dimensions == ("overall", "attitude", "efficiency")
        peer.press(1)
        peer.press(2, "attitude")
        peer.press(3, "efficiency")
        wait_for(lambda: any(isinstance(f, AskReasonFrame) for f in peer.received))
        ask = next(f for f in peer.received if isinstance(f, AskReasonFrame))
        assert ask.labels[0] == "态度不好"
        peer.choose_reason(2)
        wait_for(lambda: len(ctx.events) == 1)
        assert ctx.events[0] == Rating(
            seat="w01-a",
            ticket="B003",
            shown_staff_id="S0012",
            level=1,
            dimensions={"attitude": 2, "efficiency": 3},
            reason="slow",
        )
    finally:
        drv.stop()


def test_no_press_in_time_is_not_rated() -> None:
    drv, ctx = make(timeout_s=0.3, dimensions=["overall"])
    try:
        show(drv, "A001")
        show(drv, None)
        wait_for(lambda: len(ctx.events) == 1)
        assert ctx.events == [Rating(seat="w01-a", ticket="A001", shown_staff_id="S0012")]
    finally:
        drv.stop()


def test_stray_second_and_garbled_presses_are_reported_not_lost(device: Any) -> None:
    # rule DEV-4; nothing lost: the hub refuses these with a reason
    drv, ctx = device
    peer = drv.peer
    peer.press(5)  # nothing being served
    wait_for(lambda: len(ctx.events) == 1)
    assert ctx.events[0] == Rating(seat="w01-a", ticket=None, level=5)
    show(drv, "A020")
    peer.press(5)  # rating during the service
    wait_for(lambda: len(ctx.events) == 2)
    peer.press(3)  # a second press for the same service
    wait_for(lambda: len(ctx.events) == 3)
    assert [e.ticket for e in ctx.events] == [None, "A020", "A020"]
    peer.write(b"\x5a\x04\x01\x20\x00\x05\x00")  # bad checksum
    peer.write(b"\x5a\x03\x01\x21\x01\x26")  # a reason nobody asked for
    wait_for(lambda: len(ctx.faults) == 2)
    assert [f[0] for f in ctx.faults] == ["rating_garbled_frame", "rating_stray_reason"]
    assert "checksum mismatch" in ctx.faults[0][1]
    show(drv, None)  # A020 was rated: no prompt, no not-rated event
    peer.press(2)  # just after: still reported against A020, so the hub says "duplicate"
    wait_for(lambda: len(ctx.events) == 4)
    assert ctx.events[3].ticket == "A020"
    assert drv.status() == "degraded"


def test_other_commands_are_refused_and_real_backend_needs_a_port() -> None:
    from models.commands import DisplayText

    ctx = RecordingContext("w01-rate", seat="w01-a", window="w01")
    drv = RatingDeviceDriver(ctx, RatingDeviceConfig(backend="real"))
    assert not drv.handle(
        make_command(
            hall="demo", device="w01-rate", ts=datetime.now(UTC), body=DisplayText(text="x")
        )
    ).ok
    with pytest.raises(ValueError, match="port"):
        drv.start()
    with pytest.raises(ValueError, match="overall"):
        RatingDeviceConfig(dimensions=["attitude"])


def test_the_national_scheme_asks_four_dimensions_and_the_hub_may_name_others() -> None:
    # rule RATE-1: 总体满意度, 办事效率, 服务水平, 服务态度 by default; the hall's scheme wins
    drv, ctx = make(timeout_s=5)
    try:
        peer = drv.peer
        show(drv, "A001")
        show(drv, None)
        wait_for(lambda: any(isinstance(f, PromptFrame) for f in peer.received))
        prompt = next(f for f in peer.received if isinstance(f, PromptFrame))
        assert set(prompt.dimensions) == {"overall", "efficiency", "service_level", "attitude"}
        for level, dim in ((5, "overall"), (4, "efficiency"), (5, "service_level")):
            peer.press(level, dim)
        peer.press(3, "attitude")
        wait_for(lambda: len(ctx.events) == 1)
        assert ctx.events[0].dimensions == {"efficiency": 4, "service_level": 5, "attitude": 3}
        show(drv, "A002", dimensions=["overall", "attitude"])
        show(drv, None)
        wait_for(lambda: len([f for f in peer.received if isinstance(f, PromptFrame)]) == 2)
        last = [f for f in peer.received if isinstance(f, PromptFrame)][-1]
        assert last.dimensions == ("overall", "attitude")
        peer.press(4, "efficiency")  # not asked for this service: reported, never merged
        peer.press(5)
        peer.press(5, "attitude")
        wait_for(lambda: len(ctx.events) == 3)
        assert ctx.events[1].level is None and ctx.events[1].dimensions == {"efficiency": 4}
        assert ctx.events[2] == Rating(
            seat="w01-a", ticket="A002", shown_staff_id="S0012", level=5, dimensions={"attitude": 5}
        )
    finally:
        drv.stop()


def test_a_dissatisfied_citizen_leaves_a_phone_number_sealed_on_the_device() -> None:
    # rule RATE-3 (a number for the call back), PRIV-1 (never in clear off the keypad)
    private, public = new_keypair()
    drv, ctx = make(timeout_s=5, dimensions=["overall"], contact_key=public, phone_timeout_s=5)
    try:
        peer = drv.peer
        show(drv, "C007")
        show(drv, None)
        wait_for(lambda: any(isinstance(f, PromptFrame) for f in peer.received))
        peer.press(1)
        wait_for(lambda: any(isinstance(f, AskReasonFrame) for f in peer.received))
        peer.choose_reason(1)
        wait_for(lambda: any(isinstance(f, AskPhoneFrame) for f in peer.received))
        peer.type_phone("13800138000")
        wait_for(lambda: len(ctx.events) == 1)
        rating = ctx.events[0]
        assert (rating.level, rating.reason) == (1, "attitude")
        assert rating.contact is not None and "13800138000" not in rating.model_dump_json()
        assert unseal(private, rating.contact) == "13800138000"
        # skipped, and a number that is no phone number: rated all the same, no contact
        for n, (ticket, typed) in enumerate((("C008", ""), ("C009", "12345")), start=2):
            show(drv, ticket)
            show(drv, None)
            wait_for(lambda n=n: sum(isinstance(f, PromptFrame) for f in peer.received) == n)
            peer.press(2)
            peer.choose_reason(5)
            wait_for(lambda n=n: sum(isinstance(f, AskPhoneFrame) for f in peer.received) == n)
            peer.type_phone(typed)
            wait_for(lambda n=n: len(ctx.events) == n)  # rated before the next citizen
        assert [(e.ticket, e.level, e.contact) for e in ctx.events[1:]] == [
            ("C008", 2, None),
            ("C009", 2, None),
        ]
        wait_for(lambda: ctx.faults)
        assert ctx.fault_states() == [("rating_bad_phone", True)]
        assert "12345" not in str(ctx.faults)  # the digits are never logged
    finally:
        drv.stop()


def test_a_garbled_phone_entry_never_leaves_its_digits_in_a_fault(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # rule PRIV-1 (a number typed is never logged nor reported, even garbled), RATE-3 (the
    # rating is kept, without a number), DEV-4 (the garbled line is a fault)
    _, public = new_keypair()
    drv, ctx = make(timeout_s=5, dimensions=["overall"], contact_key=public, phone_timeout_s=2)
    try:
        peer = drv.peer
        show(drv, "C010")
        show(drv, None)
        wait_for(lambda: any(isinstance(f, PromptFrame) for f in peer.received))
        peer.press(1)
        wait_for(lambda: any(isinstance(f, AskReasonFrame) for f in peer.received))
        peer.choose_reason(1)
        wait_for(lambda: any(isinstance(f, AskPhoneFrame) for f in peer.received))
        typed = [b"139123456781234567890", b"13912345678", b"1391234\xff678"]
        peer.write(encode_raw(START, 1, CMD_PHONE, typed[0]))  # longer than a frame may be
        bad_sum = bytearray(encode_raw(START, 1, CMD_PHONE, typed[1]))
        bad_sum[-1] ^= 0xFF  # a bit flipped on the line
        peer.write(bytes(bad_sum))
        peer.write(encode_raw(START, 1, CMD_PHONE, typed[2]))  # not digits
        wait_for(lambda: len(ctx.events) == 1)  # the phone wait ran out: rated, no number
        assert (ctx.events[0].level, ctx.events[0].contact) == (1, None)
        wait_for(lambda: len(ctx.faults) >= 3)
        assert {code for code, _, _ in ctx.faults} == {"rating_garbled_frame"}
        told = str(ctx.faults) + caplog.text
        for digits in typed:
            assert digits.hex(" ")[:20] not in told and digits[:7].decode() not in told
    finally:
        drv.stop()


def test_a_satisfied_citizen_is_not_asked_for_a_number() -> None:
    _, public = new_keypair()
    drv, ctx = make(timeout_s=5, dimensions=["overall"], contact_key=public)
    try:
        show(drv, "A001")
        show(drv, None)
        drv.peer.press(4)
        wait_for(lambda: len(ctx.events) == 1)
        assert not any(isinstance(f, AskPhoneFrame) for f in drv.peer.received)
    finally:
        drv.stop()


def test_the_simulated_citizen_rates_what_is_asked_and_answers_the_questions() -> None:
    # the demo's and the simulator's citizens: every dimension, a reason, a number (RATE-3)
    private, public = new_keypair()
    drv, ctx = make(timeout_s=5, contact_key=public)
    try:
        show(drv, "A001")
        show(drv, None)
        wait_for(lambda: any(isinstance(f, PromptFrame) for f in drv.peer.received))
        drv.peer.rate(1, reason=2, phone="13800138000")
        wait_for(lambda: ctx.events)
        (rating,) = ctx.events
        assert rating.level == 1 and rating.reason == "slow" and len(rating.dimensions) == 3
        assert rating.contact and unseal(private, rating.contact) == "13800138000"
    finally:
        drv.stop()
