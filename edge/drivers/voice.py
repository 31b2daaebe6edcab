"""Hall voice (语音叫号): Announce commands spoken in Mandarin by espeak-ng into WAV files.

Announcements wait in one queue and one worker speaks them in order, so a new call never cuts
off the one playing; each is rendered to a WAV file (`espeak-ng -v cmn -w`) and played with
`player` (aplay) `repeat` times when a sound device exists, else kept as a file only.
Backends: `real` plays on the sound device; `simulated` renders the same files, plays nothing.
"""

from __future__ import annotations

import logging
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from edge.drivers.base import CommandOutcome, DeviceContext, Driver
from models.commands import Announce, Command
from models.devices.voice import KIND, VoiceConfig

logger = logging.getLogger(__name__)

_DIGITS = "零一二三四五六七八九"
_TICKET = re.compile(r"([A-Z]{1,3})(\d{1,4})")


def spoken(text: str) -> str:
    """Text as it should be spoken: ticket numbers digit by digit (A012 -> A零一二)."""
    return _TICKET.sub(lambda m: m.group(1) + "".join(_DIGITS[int(d)] for d in m.group(2)), text)


@dataclass(frozen=True, slots=True)
class Spoken:
    """One announcement done: its text, file, how often it played, and when."""

    text: str
    wav: Path
    played: int
    started: float
    finished: float


class VoiceDriver(Driver[VoiceConfig]):
    """Speaks announcements one after the other, never cutting one off."""

    kind = KIND
    Config = VoiceConfig

    def __init__(self, ctx: DeviceContext, config: VoiceConfig) -> None:
        super().__init__(ctx, config)
        self.done: list[Spoken] = []
        self._jobs: queue.Queue[Announce | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._out = Path(".")
        self._count = 0
        self._last: Announce | None = None

    def start(self) -> None:
        """Check espeak-ng and start the speaking worker."""
        if shutil.which(self.config.espeak) is None:
            raise ValueError(f"voice: {self.config.espeak} is not installed")
        if self.config.out_dir:
            self._out = Path(self.config.out_dir)
            self._out.mkdir(parents=True, exist_ok=True)
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="hk-voice-")
            self._out = Path(self._tmp.name)
        self._thread = threading.Thread(
            target=self._run, name=f"voice-{self.ctx.device}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Finish the announcement in progress, then stop; safe twice."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout=30)
            self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def can_play(self) -> bool:
        """True when announcements are played, not only rendered to files."""
        if self.config.play != "auto":
            return self.config.play == "always"
        return (
            self.config.backend == "real"
            and Path("/dev/snd").exists()
            and shutil.which(self.config.player[0]) is not None
        )

    def handle(self, command: Command) -> CommandOutcome:
        """Queue an Announce; other commands are refused."""
        if not isinstance(command.body, Announce):
            return CommandOutcome(False, f"voice does not take {command.type.value}")
        self.announce(command.body)
        return CommandOutcome(True, f"queued behind {self._jobs.qsize() - 1}")

    def announce(self, body: Announce) -> None:
        """Queue an announcement."""
        self._last = body
        self._jobs.put(body)

    def repeat_last(self) -> bool:
        """Queue the previous announcement again; False when there was none."""
        if self._last is None:
            return False
        self._jobs.put(self._last)
        return True

    def pending(self) -> int:
        """Announcements waiting to be spoken."""
        return self._jobs.qsize()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                self._speak(job)
            except (OSError, subprocess.SubprocessError) as exc:
                logger.warning("voice %s: %s", self.ctx.device, exc)
                self.ctx.fault("voice_failed", f"could not speak: {exc}")

    def _speak(self, job: Announce) -> None:
        started = time.monotonic()
        self._count += 1
        wav = self._out / f"announce-{self._count:05d}.wav"
        voice = self.config.voice if job.lang == "zh" else "en"
        subprocess.run(
            [
                self.config.espeak,
                "-v",
                voice,
                "-s",
                str(self.config.speed),
                "-w",
                str(wav),
                spoken(job.text),
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        played = 0
        if self.can_play():
            for _ in range(job.repeat):
                subprocess.run([*self.config.player, str(wav)], check=True, timeout=60)
                played += 1
        self.done.append(Spoken(job.text, wav, played, started, time.monotonic()))
        self._prune()

    def _prune(self) -> None:
        files = sorted(self._out.glob("announce-*.wav"))
        for old in files[: max(len(files) - self.config.keep_files, 0)]:
            old.unlink(missing_ok=True)


DRIVER = VoiceDriver
