"""Keypad frames: exact bytes, round trips, garbled frames and resync."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.serialproto.framing import FrameError
from edge.serialproto.keypad import KEYS, KeypadDecoder, KeyPress, encode_key


def test_documented_examples() -> None:
    assert encode_key(KeyPress(3, "next")).hex(" ") == "aa 02 03 01 06"
    assert encode_key(KeyPress(3, "call", ticket="A012")).hex(" ") == "aa 06 03 07 41 30 31 32 e4"
    assert encode_key(KeyPress(3, "transfer", target_window="w04")).hex(" ") == (
        "aa 06 03 04 57 77 30 34 3f"
    )


@pytest.mark.parametrize(
    "press",
    [KeyPress(1, action) for action in KEYS.values() if action not in ("call", "transfer")]
    + [KeyPress(7, "call", ticket="B0123"), KeyPress(9, "transfer", target_service="medical")],
)
def test_round_trip(press: KeyPress) -> None:
    assert KeypadDecoder().feed(encode_key(press)) == [press]


def test_split_across_reads() -> None:
    frame = encode_key(KeyPress(3, "call", ticket="A012"))
    dec = KeypadDecoder()
    out = [item for b in frame for item in dec.feed(bytes([b]))]
    assert out == [KeyPress(3, "call", ticket="A012")]


def test_bad_checksum_is_one_error_then_resync_on_next_start() -> None:
    good = encode_key(KeyPress(3, "next"))
    bad = bytearray(encode_key(KeyPress(3, "recall")))
    bad[-1] ^= 0xFF
    out = KeypadDecoder().feed(b"\x00\x13" + bytes(bad) + good)
    assert isinstance(out[0], FrameError) and out[0].reason == "noise before start byte"
    assert isinstance(out[1], FrameError) and "checksum" in out[1].reason
    assert out[2:] == [KeyPress(3, "next")]


def test_unknown_key_is_a_clear_error() -> None:
    from edge.serialproto.framing import encode_raw

    out = KeypadDecoder().feed(encode_raw(0xAA, 3, 0x7E) + encode_key(KeyPress(3, "skip")))
    assert isinstance(out[0], FrameError) and out[0].reason == "unknown key 0x7e"
    assert out[1] == KeyPress(3, "skip")


def test_encoder_refuses_what_it_cannot_send() -> None:
    with pytest.raises(ValueError, match="ticket"):
        encode_key(KeyPress(3, "call"))
    with pytest.raises(ValueError, match="exactly one"):
        encode_key(KeyPress(3, "transfer"))


@given(st.binary(max_size=64))
def test_garbage_never_raises_and_a_good_frame_after_it_is_found(noise: bytes) -> None:
    dec = KeypadDecoder()
    dec.feed(noise)
    # a full good frame after noise is found once the decoder resyncs (at most two frames later)
    good = encode_key(KeyPress(5, "finish"))
    out = dec.feed(good * 40)
    assert KeyPress(5, "finish") in out
