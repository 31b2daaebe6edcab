"""Hypothesis over the serial frame decoders in edge/serialproto/ (keypad, LED bus, LD2410 radar).

Random bytes, cut into random chunks, never make a decoder raise: it returns frames and its
documented error items (FrameError, Garbage). Valid frames round-trip, also behind noise and
split anywhere; the frames a decoder finds do not depend on how the bytes were chunked.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.serialproto import framing, keypad, ld2410, led, rating


@st.composite
def chunked(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """`data` cut at random points."""
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    edges = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def feed_all(decoder: Any, chunks: Sequence[bytes]) -> list[Any]:
    """Everything a decoder returns for the chunks, in order."""
    out: list[Any] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    return out


DECODERS: dict[str, tuple[Callable[[], Any], tuple[type, ...], tuple[type, ...]]] = {
    # name: (factory, result types, error types)
    "framing": (lambda: framing.StreamDecoder(0xAA), (framing.RawFrame,), (framing.FrameError,)),
    "keypad": (keypad.KeypadDecoder, (keypad.KeyPress,), (framing.FrameError,)),
    "led": (led.LedDecoder, (led.Show, led.Ack), (framing.FrameError,)),
    "ld2410": (ld2410.StreamDecoder, (ld2410.Report, ld2410.CommandFrame), (ld2410.Garbage,)),
    "rating-device": (
        rating.RatingDecoder,
        (rating.Press, rating.ReasonChoice),
        (framing.FrameError,),
    ),
    "rating-host": (
        rating.HostDecoder,
        (rating.ShowFrame, rating.PromptFrame, rating.AskReasonFrame, rating.ThanksFrame),
        (framing.FrameError,),
    ),
}
STARTS = {
    "framing": b"\xaa",
    "keypad": b"\xaa",
    "led": b"\xa5",
    "ld2410": ld2410.REPORT_HEADER + ld2410.COMMAND_HEADER,
    "rating-device": b"\x5a",
    "rating-host": b"\x5a",
}


def noisy_bytes(kind: str) -> st.SearchStrategy[bytes]:
    """Random bytes, rich in the decoder's own start/header bytes so frames half-form."""
    alphabet = st.sampled_from([*STARTS[kind], 0, 1, 2, 3, 255, 85])
    mixed = st.lists(alphabet | st.integers(0, 255), max_size=300).map(bytes)
    return st.binary(max_size=300) | mixed


@pytest.mark.parametrize("kind", DECODERS)
@given(data=st.data())
def test_random_bytes_never_raise(kind: str, data: st.DataObject):
    factory, results, errors = DECODERS[kind]
    raw = data.draw(noisy_bytes(kind))
    items = feed_all(factory(), data.draw(chunked(raw)))
    assert all(isinstance(i, results + errors) for i in items)


@pytest.mark.parametrize("kind", DECODERS)
@given(data=st.data())
def test_frames_found_do_not_depend_on_chunking(kind: str, data: st.DataObject):
    factory, results, _ = DECODERS[kind]
    raw = data.draw(noisy_bytes(kind))
    whole = [i for i in factory().feed(raw) if isinstance(i, results)]
    pieces = [i for i in feed_all(factory(), data.draw(chunked(raw))) if isinstance(i, results)]
    assert pieces == whole


# ---- shared framing (keypad, LED bus) -----------------------------------------------------------


@given(
    data=st.data(),
    start=st.sampled_from([0xAA, 0xA5]),
    address=st.integers(0, 255),
    command=st.integers(0, 255),
    payload=st.binary(max_size=253),
)
def test_raw_frames_round_trip_behind_noise(
    data: st.DataObject, start: int, address: int, command: int, payload: bytes
):
    frame = framing.encode_raw(start, address, command, payload)
    noise = data.draw(st.binary(max_size=40).map(lambda b: b.replace(bytes([start]), b"")))
    items = feed_all(framing.StreamDecoder(start), data.draw(chunked(noise + frame)))
    assert [i for i in items if isinstance(i, framing.RawFrame)] == [
        framing.RawFrame(address, command, payload)
    ]


# ---- counter keypad ----

TICKETS = st.from_regex(r"\A[A-Z]{1,3}[0-9]{1,4}\Z")
CODES = st.from_regex(r"\A[A-Za-z0-9_.-]{1,32}\Z")
PRESSES = st.one_of(
    st.builds(
        keypad.KeyPress,
        address=st.integers(0, 255),
        action=st.sampled_from(sorted(set(keypad.CODES) - {"call", "transfer"})),
    ),
    st.builds(keypad.KeyPress, address=st.integers(0, 255), action=st.just("call"), ticket=TICKETS),
    st.builds(
        keypad.KeyPress,
        address=st.integers(0, 255),
        action=st.just("transfer"),
        target_service=CODES,
    ),
    st.builds(
        keypad.KeyPress,
        address=st.integers(0, 255),
        action=st.just("transfer"),
        target_window=CODES,
    ),
)


@given(data=st.data(), presses=st.lists(PRESSES, min_size=1, max_size=5))
def test_key_presses_round_trip(data: st.DataObject, presses: list[keypad.KeyPress]):
    wire = b"".join(keypad.encode_key(p) for p in presses)
    assert feed_all(keypad.KeypadDecoder(), data.draw(chunked(wire))) == presses


# ---- counter LED display ----


@given(
    data=st.data(),
    address=st.integers(0, 255),
    line=st.integers(0, 255),
    text=st.text(max_size=140),
    status=st.integers(0, 255),
    command=st.integers(0, 0x7F),
)
def test_led_frames_round_trip(
    data: st.DataObject, address: int, line: int, text: str, status: int, command: int
):
    wire = (
        led.encode_show(address, text, line)
        + led.encode_clear(address, line)
        + led.encode_ack(address, command, status)
    )
    shown = led.encode_text(text).decode(led.ENCODING)
    assert feed_all(led.LedDecoder(), data.draw(chunked(wire))) == [
        led.Show(address, line, shown),
        led.Show(address, line, "", clear=True),
        led.Ack(address, command, status),
    ]


# ---- LD2410 radar ----

U16 = st.integers(0, 0xFFFF)
ENERGY = st.integers(0, 100)
BASIC = st.builds(
    ld2410.Report,
    state=st.sampled_from(list(ld2410.TargetState)),
    moving_cm=U16,
    moving_energy=ENERGY,
    stationary_cm=U16,
    stationary_energy=ENERGY,
    detection_cm=U16,
)


@st.composite
def engineering(draw: st.DrawFn) -> ld2410.Report:
    """An engineering report whose data fits the decoder's MAX_DATA_LEN."""
    base = draw(BASIC)
    gates = draw(st.integers(1, 9))
    return ld2410.Report(
        base.state,
        base.moving_cm,
        base.moving_energy,
        base.stationary_cm,
        base.stationary_energy,
        base.detection_cm,
        engineering=True,
        moving_gates=tuple(draw(st.lists(ENERGY, min_size=gates, max_size=gates))),
        stationary_gates=tuple(draw(st.lists(ENERGY, min_size=gates, max_size=gates))),
        extra=draw(st.binary(max_size=4)),
    )


@given(data=st.data(), reports=st.lists(BASIC | engineering(), min_size=1, max_size=4))
def test_radar_reports_round_trip_behind_noise(data: st.DataObject, reports: list[ld2410.Report]):
    for r in reports:
        assert ld2410.decode_frame(ld2410.encode_report(r)) == r
    noise = data.draw(
        st.binary(max_size=30).map(lambda b: b.replace(b"\xf4", b"").replace(b"\xfd", b""))
    )
    wire = noise + b"".join(ld2410.encode_report(r) for r in reports)
    items = feed_all(ld2410.StreamDecoder(), data.draw(chunked(wire)))
    assert [i for i in items if isinstance(i, ld2410.Report)] == reports


@given(
    frame=st.binary(max_size=80)
    | st.binary(max_size=60).map(lambda b: ld2410.REPORT_HEADER + b + ld2410.REPORT_FOOTER)
)
def test_radar_decode_frame_raises_only_value_error(frame: bytes):
    try:
        report = ld2410.decode_frame(frame)
    except ValueError:
        return
    assert isinstance(report, ld2410.Report)


# ---- rating device ----

ADDR = st.integers(0, 255)
LABEL = st.text(st.characters(codec="utf-8", exclude_characters="\x1f"), max_size=6)
HOST_FRAMES = st.one_of(
    st.builds(
        rating.ShowFrame,
        address=ADDR,
        staff_no=st.just("") | st.from_regex(r"\A[A-Za-z0-9_.-]{1,64}\Z"),
        name=st.text(st.characters(codec="utf-8", exclude_characters="\x1f"), max_size=40),
        ticket=st.just("") | TICKETS,
    ),
    st.builds(
        rating.PromptFrame,
        address=ADDR,
        dimensions=st.sets(st.sampled_from(rating.DIMENSIONS), min_size=1).map(
            lambda ds: tuple(d for d in rating.DIMENSIONS if d in ds)
        ),
        timeout_s=st.integers(1, 255),
    ),
    st.builds(
        rating.AskReasonFrame,
        address=ADDR,
        labels=st.lists(LABEL, min_size=1, max_size=9).map(tuple),
    ),
    st.builds(rating.ThanksFrame, address=ADDR),
)
DEVICE_FRAMES = st.one_of(
    st.builds(
        rating.Press,
        address=ADDR,
        dimension=st.sampled_from(rating.DIMENSIONS),
        level=st.integers(1, 5),
    ),
    st.builds(rating.ReasonChoice, address=ADDR, index=st.integers(1, 9)),
)


def _encode_device(frame: rating.DeviceFrame) -> bytes:
    if isinstance(frame, rating.Press):
        return rating.encode_press(frame)
    return rating.encode_reason(frame)


@given(data=st.data(), frames=st.lists(HOST_FRAMES, min_size=1, max_size=4))
def test_rating_host_frames_round_trip(data: st.DataObject, frames: list[rating.HostFrame]):
    wire = b"".join(rating.encode_host(f) for f in frames)
    assert feed_all(rating.HostDecoder(), data.draw(chunked(wire))) == frames


@given(data=st.data(), frames=st.lists(DEVICE_FRAMES, min_size=1, max_size=6))
def test_rating_device_frames_round_trip_behind_noise(
    data: st.DataObject, frames: list[rating.DeviceFrame]
):
    noise = data.draw(st.binary(max_size=30).map(lambda b: b.replace(b"\x5a", b"")))
    wire = noise + b"".join(_encode_device(f) for f in frames)
    items = feed_all(rating.RatingDecoder(), data.draw(chunked(wire)))
    assert [i for i in items if not isinstance(i, framing.FrameError)] == frames


# ---- half frames and stray start bytes: the frame timeout (issue 21 point 4) ----

TIMEOUT_S = 0.05
HALF_FRAME_DECODERS = {
    "keypad": (keypad.KeypadDecoder, b"\xaa", keypad.KeyPress),
    "rating-device": (rating.RatingDecoder, b"\x5a", (rating.Press, rating.ReasonChoice)),
}
GOOD = {
    "keypad": (keypad.encode_key(keypad.KeyPress(1, "next")), keypad.KeyPress(1, "next")),
    "rating-device": (rating.encode_press(rating.Press(1, "overall", 5)), None),
}


@st.composite
def half_frames(draw: st.DrawFn, start: bytes) -> bytes:
    """Junk a line may carry: stray start bytes, a frame cut off (start + length), noise."""
    piece = st.one_of(
        st.just(start),
        st.builds(lambda n: start + bytes([n]), st.integers(0, 255)),
        st.builds(
            lambda n, rest: start + bytes([n]) + rest, st.integers(0, 255), st.binary(max_size=8)
        ),
        st.binary(min_size=1, max_size=6),
    )
    return b"".join(draw(st.lists(piece, min_size=1, max_size=6)))


@pytest.mark.parametrize("kind", HALF_FRAME_DECODERS)
@given(data=st.data(), gap=st.floats(0, 1.0))
def test_junk_never_holds_a_good_frame_back_past_the_frame_timeout(
    kind: str, data: st.DataObject, gap: float
):
    factory, start, results = HALF_FRAME_DECODERS[kind]
    good, _ = GOOD[kind]
    decoder = factory(TIMEOUT_S)
    junk = data.draw(half_frames(start))
    t0 = 1000.0
    items = decoder.feed(junk, t0)
    items += feed_all_at(decoder, data.draw(chunked(good)), t0 + gap)
    # the line's idle tick just past the timeout after the good frame's last byte
    items += decoder.feed(b"", t0 + gap + TIMEOUT_S + 1e-6)
    found = [i for i in items if isinstance(i, results)]
    reference = [i for i in factory().feed(good) if isinstance(i, results)]
    assert found[-1:] == reference  # the good frame came out, decoded as alone


def feed_all_at(decoder: Any, chunks: Sequence[bytes], now: float) -> list[Any]:
    """Feed every chunk at the same instant."""
    out: list[Any] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk, now))
    return out


@given(data=st.data())
def test_with_the_timeout_nothing_changes_for_clean_frames(data: st.DataObject):
    presses = data.draw(st.lists(PRESSES, min_size=1, max_size=5))
    wire = b"".join(keypad.encode_key(p) for p in presses)
    dec = keypad.KeypadDecoder(TIMEOUT_S)
    # slow bytes (each chunk later than the last, within the timeout) still make frames
    chunks = [c for c in data.draw(chunked(wire)) if c]
    out = [i for n, c in enumerate(chunks) for i in dec.feed(c, n * 0.04)]
    assert out == presses


def test_a_stray_start_byte_no_longer_holds_seven_presses_back():
    dec = keypad.KeypadDecoder(TIMEOUT_S)
    press = keypad.encode_key(keypad.KeyPress(1, "next"))
    assert dec.feed(b"\xaa\x22", 0.0) == []  # a stray start byte and a plausible length
    got = []
    for n in range(7):  # a press every half second: each comes out within the timeout
        now = 0.5 * (n + 1)
        got += dec.feed(press, now)
        got += dec.feed(b"", now + TIMEOUT_S + 1e-6)
        assert [i for i in got if isinstance(i, keypad.KeyPress)] == [
            keypad.KeyPress(1, "next")
        ] * (n + 1)
    errors = [i for i in got if isinstance(i, framing.FrameError)]
    assert errors and errors[0].reason.startswith("half frame")
