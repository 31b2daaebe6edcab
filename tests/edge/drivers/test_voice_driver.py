"""The Mandarin voice driver: espeak-ng renders real WAV files, one announcement at a time."""

from __future__ import annotations

import sys
import wave
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from edge.drivers.voice import VoiceConfig, VoiceDriver, spoken
from models.commands import Announce, DisplayText, make_command
from tests.support.device_context import RecordingContext
from tests.support.waiting import wait_until as poll


def wait_for(cond: Callable[[], Any]) -> None:
    """Poll with this module's deadline of 20 s."""
    poll(cond, timeout=20.0)


# A real player stand-in: reads the whole WAV (no sound device on the test machine).
PLAYER = [
    sys.executable,
    "-c",
    "import sys, wave; w = wave.open(sys.argv[1]); w.readframes(w.getnframes())",
]


@pytest.fixture
def voice(tmp_path: Path) -> Iterator[VoiceDriver]:
    drv = VoiceDriver(
        RecordingContext("hall-voice"),
        VoiceConfig(out_dir=str(tmp_path), play="always", player=PLAYER),
    )
    drv.start()
    yield drv
    drv.stop()
    drv.stop()


def cmd(body: Any) -> Any:
    return make_command(hall="demo", device="hall-voice", ts=datetime.now(UTC), body=body)


def test_ticket_numbers_are_read_digit_by_digit() -> None:
    assert spoken("请A012号到3号窗口办理") == "请A零一二号到3号窗口办理"


def test_announcements_become_mandarin_wavs_in_order_never_overlapping(voice: VoiceDriver) -> None:
    texts = ["请A012号到3号窗口办理", "请B003号到4号窗口办理", "请A013号到1号窗口办理"]
    for text in texts:
        assert voice.handle(cmd(Announce(text=text, repeat=2))).ok
    wait_for(lambda: len(voice.done) == 3)
    assert [d.text for d in voice.done] == texts
    for prev, nxt in zip(voice.done, voice.done[1:], strict=False):
        assert nxt.started >= prev.finished  # a new call never cuts off the one playing
    for d in voice.done:
        assert d.played == 2
        with wave.open(str(d.wav)) as w:
            assert w.getnframes() / w.getframerate() > 1.0  # a real spoken sentence


def test_repeat_last_speaks_the_same_text_again(voice: VoiceDriver) -> None:
    assert not voice.repeat_last()
    voice.handle(cmd(Announce(text="请A001号到1号窗口办理")))
    assert voice.repeat_last()
    wait_for(lambda: len(voice.done) == 2)
    assert voice.done[0].text == voice.done[1].text
    assert voice.done[0].wav != voice.done[1].wav


def test_simulated_backend_renders_files_only(tmp_path: Path) -> None:
    drv = VoiceDriver(RecordingContext("hall-voice"), VoiceConfig(out_dir=str(tmp_path)))
    drv.start()
    try:
        assert not drv.can_play()
        drv.handle(cmd(Announce(text="请A002号到2号窗口办理")))
        wait_for(lambda: len(drv.done) == 1)
        assert drv.done[0].played == 0 and drv.done[0].wav.stat().st_size > 10_000
        assert not drv.handle(cmd(DisplayText(text="x"))).ok
    finally:
        drv.stop()
