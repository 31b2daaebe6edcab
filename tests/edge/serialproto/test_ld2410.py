"""LD2410 report frames: exact bytes, decoding, streaming resync over garbage and split reads."""

from __future__ import annotations

import pytest

from edge.serialproto.ld2410 import (
    CommandFrame,
    Garbage,
    Report,
    StreamDecoder,
    TargetState,
    decode_frame,
    encode_report,
)

# A basic frame: stationary target at 60 cm, energy 55, detection distance 60 cm.
BASIC = bytes.fromhex("f4f3f2f1 0d00 02 aa 02 0000 00 3c00 37 3c00 55 00 f8f7f6f5")


def test_basic_frame_exact_bytes() -> None:
    report = Report(TargetState.STATIONARY, stationary_cm=60, stationary_energy=55, detection_cm=60)
    assert encode_report(report) == BASIC
    assert decode_frame(BASIC) == report
    assert report.target and report.distance_cm == 60


def test_moving_and_both_states_round_trip() -> None:
    for state in TargetState:
        r = Report(
            state,
            moving_cm=310,
            moving_energy=100,
            stationary_cm=95,
            stationary_energy=7,
            detection_cm=95,
        )
        assert decode_frame(encode_report(r)) == r
        assert r.target == (state is not TargetState.NONE)
    assert encode_report(Report(TargetState.MOVING, moving_cm=310))[9:11] == b"\x36\x01"


def test_engineering_frame_round_trip() -> None:
    gates = tuple(range(9))
    r = Report(
        TargetState.BOTH,
        120,
        40,
        80,
        30,
        80,
        engineering=True,
        moving_gates=gates,
        stationary_gates=tuple(reversed(gates)),
        extra=b"\x00\x00",
    )
    frame = encode_report(r)
    assert frame[4:6] == b"\x23\x00"  # 35 data bytes, as the radar sends in engineering mode
    assert frame[6] == 0x01
    assert decode_frame(frame) == r


@pytest.mark.parametrize(
    ("index", "value", "why"),
    [
        (6, 0x07, "unknown data type"),
        (7, 0x00, "bad head"),
        (8, 0x09, "bad target state"),
        (17, 0x54, "bad tail"),
        (18, 0x01, "bad tail"),
    ],
)
def test_corrupt_fields_are_refused(index: int, value: int, why: str) -> None:
    frame = bytearray(BASIC)
    frame[index] = value
    with pytest.raises(ValueError, match=why):
        decode_frame(bytes(frame))


def test_stream_split_reads_and_garbage() -> None:
    dec = StreamDecoder()
    stream = b"\x01\x02\x03" + BASIC + BASIC
    items: list[object] = []
    for i in range(0, len(stream), 5):  # 5-byte reads split headers and fields
        items += dec.feed(stream[i : i + 5])
    reports = [x for x in items if isinstance(x, Report)]
    garbage = [x for x in items if isinstance(x, Garbage)]
    assert len(reports) == 2
    assert b"".join(g.dropped for g in garbage) == b"\x01\x02\x03"


def test_stream_resyncs_after_a_corrupt_frame() -> None:
    bad = bytearray(BASIC)
    bad[17] = 0x00  # tail byte wrong
    items = StreamDecoder().feed(bytes(bad) + BASIC)
    assert isinstance(items[0], Garbage) and "tail" in items[0].reason
    assert [x for x in items if isinstance(x, Report)] == [decode_frame(BASIC)]


def test_stream_resyncs_after_a_missing_footer_and_huge_length() -> None:
    truncated = BASIC[:-4] + b"\x00\x00\x00\x00"
    huge = b"\xf4\xf3\xf2\xf1\xff\xff"
    items = StreamDecoder().feed(truncated + huge + BASIC)
    assert sum(isinstance(x, Report) for x in items) == 1
    assert any(isinstance(x, Garbage) and "footer" in x.reason for x in items)
    assert any(isinstance(x, Garbage) and "too large" in x.reason for x in items)


def test_pure_noise_is_garbage_only() -> None:
    items = StreamDecoder().feed(bytes(range(256)) * 2)
    assert items and all(isinstance(x, Garbage) for x in items)


def test_command_ack_frames_are_skipped() -> None:
    ack = bytes.fromhex("fdfcfbfa 0400 ff01 0000 04030201")
    items = StreamDecoder().feed(ack + BASIC)
    assert isinstance(items[0], CommandFrame) and items[0].data == b"\xff\x01\x00\x00"
    assert isinstance(items[1], Report)


def test_the_protocol_page_examples_decode_and_round_trip() -> None:
    from pathlib import Path

    page = Path(__file__).resolve().parents[3] / "firmware_cfg" / "protocols" / "ld2410.md"
    blocks = page.read_text(encoding="utf-8").split("```")[1::2]
    frames = [bytes.fromhex(b.replace("\n", " ")) for b in blocks if b.startswith("\nF4")]
    assert len(frames) == 4
    decoded = [decode_frame(f) for f in frames]
    assert [encode_report(r) for r in decoded] == frames
    assert [r.state for r in decoded] == [
        TargetState.NONE,
        TargetState.STATIONARY,
        TargetState.MOVING,
        TargetState.BOTH,
    ]
    assert decoded[2].moving_cm == 310 and decoded[3].engineering
