"""Rating device frames: the documented hex examples, round trips, garbled frames and resync."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from edge.serialproto.framing import FrameError, encode_raw
from edge.serialproto.rating import (
    START,
    AskPhoneFrame,
    AskReasonFrame,
    HostDecoder,
    PhoneEntry,
    Press,
    PromptFrame,
    RatingDecoder,
    ReasonChoice,
    ShowFrame,
    ThanksFrame,
    encode_host,
    encode_phone,
    encode_press,
    encode_reason,
)

DOC = Path(__file__).resolve().parents[3] / "firmware_cfg" / "protocols" / "rating_device.md"

EXAMPLES = {
    "SHOW staff `S0012`": encode_host(ShowFrame(1, "S0012", "王芳", "A012")),
    "SHOW idle": encode_host(ShowFrame(1)),
    "PROMPT all three": encode_host(PromptFrame(1, ("overall", "attitude", "efficiency"), 30)),
    "ASK_REASON 态度不好": encode_host(AskReasonFrame(1, ("态度不好", "其他"))),
    "THANKS": encode_host(ThanksFrame(1)),
    "PRESS overall 5": encode_press(Press(1, "overall", 5)),
    "PRESS attitude 2": encode_press(Press(1, "attitude", 2)),
    "REASON 2": encode_reason(ReasonChoice(1, 2)),
    "PROMPT the national four": encode_host(
        PromptFrame(1, ("overall", "attitude", "efficiency", "service_level"), 30)
    ),
    "PRESS service level 2": encode_press(Press(1, "service_level", 2)),
    "ASK_PHONE, 30 s": encode_host(AskPhoneFrame(1, 30)),
    "PHONE `13800138000`": encode_phone(PhoneEntry(1, "13800138000")),
    "PHONE skipped": encode_phone(PhoneEntry(1, "")),
}


def test_documented_examples_match_the_codec_byte_for_byte() -> None:
    text = DOC.read_text(encoding="utf-8").split("## Examples (hex)")[1]
    for label, frame in EXAMPLES.items():
        start = text.index(label)
        hexes = re.search(r"`((?:[0-9A-F]{2} )+[0-9A-F]{2})`", text[start:])
        assert hexes is not None, label
        assert bytes.fromhex(hexes.group(1)) == frame, label


def test_known_bytes() -> None:
    assert encode_press(Press(1, "overall", 5)).hex(" ") == "5a 04 01 20 00 05 2a"
    assert encode_reason(ReasonChoice(1, 2)).hex(" ") == "5a 03 01 21 02 27"


@pytest.mark.parametrize(
    "frame",
    [
        ShowFrame(3, "S0012", "王芳", "A012"),
        ShowFrame(3),
        PromptFrame(3, ("overall",), 20),
        PromptFrame(3, ("overall", "efficiency"), 255),
        AskReasonFrame(3, ("态度不好", "办事拖拉", "其他")),
        ThanksFrame(3),
        AskPhoneFrame(3, 30),
    ],
)
def test_host_round_trip(frame: object) -> None:
    assert HostDecoder().feed(encode_host(frame)) == [frame]  # type: ignore[arg-type]


def test_device_round_trip_split_across_reads() -> None:
    data = encode_press(Press(2, "efficiency", 3)) + encode_reason(ReasonChoice(2, 4))
    dec = RatingDecoder()
    out = [item for b in data for item in dec.feed(bytes([b]))]
    assert out == [Press(2, "efficiency", 3), ReasonChoice(2, 4)]


def test_garbled_frames_are_errors_and_the_next_good_frame_is_kept() -> None:
    good = encode_press(Press(1, "overall", 4))
    bad = bytearray(encode_press(Press(1, "overall", 1)))
    bad[-1] ^= 0xFF
    out = RatingDecoder().feed(b"\x00\x13" + bytes(bad) + good)
    assert isinstance(out[0], FrameError) and out[0].reason == "noise before start byte"
    assert isinstance(out[1], FrameError) and "checksum" in out[1].reason
    assert out[2:] == [Press(1, "overall", 4)]


@pytest.mark.parametrize(
    ("cmd", "payload", "why"),
    [
        (0x20, b"\x00\x06", "press: bad payload"),  # level 6
        (0x20, b"\x04\x01", "press: bad payload"),  # dimension 4
        (0x22, b"13800x", "phone: bad payload"),
        (0x22, b"1" * 21, "bad length"),  # longer than any phone
        (0x21, b"\x00", "reason: bad payload"),
        (0x7E, b"", "unknown device command 0x7e"),
    ],
)
def test_out_of_range_payloads_are_refused_with_a_reason(
    cmd: int, payload: bytes, why: str
) -> None:
    out = RatingDecoder().feed(encode_raw(START, 1, cmd, payload))
    assert len(out) == 1 and isinstance(out[0], FrameError) and why in out[0].reason


def test_encoders_refuse_what_does_not_fit() -> None:
    with pytest.raises(ValueError):
        encode_press(Press(1, "overall", 0))
    with pytest.raises(ValueError):
        encode_host(ShowFrame(1, "S 1", "x", ""))
    with pytest.raises(ValueError):
        encode_host(ShowFrame(1, "S1", "x", "a12"))
    with pytest.raises(ValueError):
        encode_host(AskReasonFrame(1, tuple(str(i) for i in range(10))))
