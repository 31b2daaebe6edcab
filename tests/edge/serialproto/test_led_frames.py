"""RS-485 LED display frames: exact bytes, GB2312 text, answers, resync."""

from __future__ import annotations

from edge.serialproto.framing import FrameError
from edge.serialproto.led import (
    MAX_TEXT_BYTES,
    Ack,
    LedDecoder,
    Show,
    encode_ack,
    encode_clear,
    encode_show,
    encode_text,
)


def test_documented_examples() -> None:
    assert encode_show(3, "A012 请到3号窗口").hex(" ") == (
        "a5 13 03 01 00 41 30 31 32 20 c7 eb b5 bd 33 ba c5 b4 b0 bf da de"
    )
    assert encode_show(3, "暂停服务").hex(" ") == "a5 0b 03 01 00 d4 dd cd a3 b7 fe ce f1 a4"
    assert encode_clear(3).hex(" ") == "a5 03 03 02 00 08"
    assert encode_ack(3, 1).hex(" ") == "a5 03 03 81 00 87"


def test_round_trip_of_show_clear_and_answer() -> None:
    data = encode_show(4, "请B003号到4号窗口", line=1) + encode_clear(4, 2) + encode_ack(4, 1)
    assert LedDecoder().feed(data) == [
        Show(4, 1, "请B003号到4号窗口"),
        Show(4, 2, "", clear=True),
        Ack(4, 1, 0),
    ]


def test_text_outside_gb2312_and_too_long_text() -> None:
    assert encode_text("A😀") == b"A?"
    long = encode_text("请" * 500)
    assert len(long) == MAX_TEXT_BYTES and long.decode("gb2312") == "请" * 126


def test_garbled_then_good() -> None:
    bad = bytearray(encode_show(3, "A001"))
    bad[5] ^= 0x01
    out = LedDecoder().feed(bytes(bad) + encode_ack(3, 1))
    assert isinstance(out[0], FrameError) and "checksum" in str(out[0])
    assert out[1:] == [Ack(3, 1, 0)]
