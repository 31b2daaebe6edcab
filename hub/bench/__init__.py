"""Benchmarks that print their figures: `hallkeeper bench <name>` runs `hub.bench.<name>`.

Shared here: a private Mosquitto on a free port that a benchmark starts and stops itself.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"mosquitto did not listen on port {port} within {timeout}s")


@contextmanager
def private_mosquitto(workdir: Path, *, max_inflight: int = 1000) -> Iterator[str]:
    """Run /usr/sbin/mosquitto on a free port with large queues; yield its mqtt:// URL."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\n"
        "allow_anonymous true\n"
        "persistence false\n"
        "max_queued_messages 0\n"
        "max_queued_bytes 0\n"
        f"max_inflight_messages {max_inflight}\n"
        "set_tcp_nodelay true\n"
        f"log_dest file {workdir / 'mosquitto.log'}\n"
        "log_type error\nlog_type warning\n"
    )
    proc = subprocess.Popen(
        [MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_port(port, 10.0)
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
