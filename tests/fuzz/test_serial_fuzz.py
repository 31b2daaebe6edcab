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

from edge.serialproto import framing, keypad, ld2410, led


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
}
STARTS = {
    "framing": b"\xaa",
    "keypad": b"\xaa",
    "led": b"\xa5",
    "ld2410": ld2410.REPORT_HEADER + ld2410.COMMAND_HEADER,
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
