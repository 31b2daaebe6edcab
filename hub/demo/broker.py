"""Start an MQTT broker for the demo: a private mosquitto, or the embedded one; or use one given."""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import paho.mqtt.client as mqtt

if TYPE_CHECKING:
    from hub.demo.minibroker import EmbeddedBroker

logger = logging.getLogger(__name__)


@dataclass
class DemoBroker:
    """The broker the demo uses, and the process if the demo started it."""

    url: str
    kind: str
    process: subprocess.Popen[bytes] | None = None
    embedded: EmbeddedBroker | None = None

    def stop(self) -> None:
        """Stop a broker the demo started (the machine's broker is left alone)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        if self.embedded is not None:
            self.embedded.stop()


def answers_mqtt(host: str, port: int, timeout: float = 2.0) -> bool:
    """True when an MQTT v5 broker accepts a connection at host:port."""
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"hk-probe-{uuid.uuid4().hex[:8]}",
        protocol=mqtt.MQTTv5,
    )
    try:
        client.connect(host, port, keepalive=5)
    except OSError:
        return False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not client.is_connected():
            client.loop(timeout=0.1)
        return client.is_connected()
    finally:
        client.disconnect()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_private_mosquitto(data_dir: Path) -> DemoBroker | None:
    """Start mosquitto with a config in data_dir; None when mosquitto is not installed."""
    exe = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if exe is None:
        return None
    port = _free_port()
    folder = data_dir / "broker"
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
        f"persistence_location {folder.resolve()}/\nmax_queued_messages 100000\n"
        "set_tcp_nodelay true\n"
        f"log_dest file {(folder / 'mosquitto.log').resolve()}\n"
        # Started as root, mosquitto drops to user `mosquitto`, which cannot write this folder:
        # no persistence file, no log (issue 21). It runs as whoever started the demo.
        f"user {pwd.getpwuid(os.geteuid()).pw_name}\n"
    )
    # its own session: a Ctrl-C at the terminal (SIGINT to the whole foreground group) stops
    # the demo, which then stops its devices through this broker and only then the broker
    proc = subprocess.Popen(
        [exe, "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mosquitto exited at start; see {folder / 'mosquitto.log'}")
        if answers_mqtt("127.0.0.1", port, timeout=0.5):
            return DemoBroker(f"mqtt://127.0.0.1:{port}", f"private mosquitto ({exe})", proc)
        time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("mosquitto did not start listening within 10 s")


def start_embedded() -> DemoBroker:
    """Start hallkeeper's embedded demo broker (in memory, not for production)."""
    from hub.demo.minibroker import EmbeddedBroker

    broker = EmbeddedBroker().start()
    logger.info("broker: embedded (hallkeeper's demo broker, not for production) at %s", broker.url)
    return DemoBroker(broker.url, "embedded demo broker, not for production", embedded=broker)


def choose_broker(data_dir: Path, url: str | None = None) -> DemoBroker:
    """The broker named ("embedded" forces the embedded one), else a private mosquitto of this
    run on a free port, else (mosquitto not installed) the embedded demo broker.

    Never the machine's shared broker unasked: two demos there would see each other's hall.
    """
    if url == "embedded":
        return start_embedded()
    if url:
        logger.info("broker: %s (given)", url)
        return DemoBroker(url, "given")
    started = start_private_mosquitto(data_dir)
    if started is not None:
        logger.info("broker: %s at %s", started.kind, started.url)
        return started
    logger.info("mosquitto is not installed; starting the embedded demo broker")
    return start_embedded()
