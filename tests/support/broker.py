"""A private Mosquitto process on a free port, which a test can kill -9 and restart."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 10.0, *, up: bool = True) -> None:
    """Wait until 127.0.0.1:port accepts connections (or, with up=False, refuses them)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.02)
    raise TimeoutError(f"port {port} did not come {'up' if up else 'down'} in {timeout}s")


class Broker:
    """A private mosquitto with persistence in its own folder (so sessions survive a restart)."""

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        extra_conf: str = "",
        *,
        persistence: bool = True,
        autosave_s: int = 1,
    ) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.conf = workdir / "mosquitto.conf"
        self.log = workdir / "mosquitto.log"
        workdir.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            f"persistence {'true' if persistence else 'false'}\n"
            f"persistence_location {workdir}/\n"
            f"autosave_interval {autosave_s}\n"
            "max_queued_messages 1000000\n"
            "max_inflight_messages 100\n"
            "max_packet_size 8388608\n"
            f"log_dest file {self.log}\n"
            "log_type error\nlog_type warning\n"
            # As root, mosquitto drops to user `mosquitto`, which cannot write the 0700 pytest
            # tmp dirs: no log, no persistence file, sessions lost on restart. Stay root here.
            + ("user root\n" if os.geteuid() == 0 else "")
            + extra_conf
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """mqtt://127.0.0.1:port"""
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> Broker:
        """Start (or restart) the broker and wait for it to listen."""
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_port(self.port)
        return self

    def stop(self) -> None:
        """Stop gracefully (SIGTERM: mosquitto saves its persistence file)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        wait_port(self.port, up=False)

    def kill(self) -> None:
        """kill -9: whatever the broker held only in memory is gone."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        wait_port(self.port, up=False)

    def restart(self) -> None:
        """Graceful stop, then start on the same port with the same persistence."""
        self.stop()
        self.start()
