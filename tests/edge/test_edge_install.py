"""The edge install: `hallkeeper-edge` runs a node's agent without anything of the hub.

The agent runs in a fresh interpreter, as on a Pi (`hallkeeper[edge]`), against a real broker;
the modules it loaded are listed when it exits. Nothing of `hub` nor of the hub's install
(web stack, database, reports) may be among them, nor the vision stack for a node without a
face terminal. (The real check, a fresh venv with only hallkeeper[edge]: deploy/README.md.)
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import paho.mqtt.client as mqtt

from models.topics import Channel, subscription
from tests.support.broker import Broker
from tests.support.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "firmware_cfg" / "halls" / "demo"
HUB_ONLY = (
    "hub",
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "jinja2",
    "openpyxl",
    "typer",
    "rich",
    "argon2",
    "prometheus_client",
)
VISION = ("cv2", "numpy", "dlib", "face_recognition")

RUN_AGENT = """
import atexit, json, sys
atexit.register(lambda: open(sys.argv[1], "w").write(json.dumps(sorted(sys.modules))))
from edge.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_an_agent_of_four_serial_devices_loads_nothing_of_the_hub(
    broker: Broker, tmp_path: Path
) -> None:
    listing = tmp_path / "modules.json"
    seen: list[str] = []
    watcher = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2)
    watcher.on_message = lambda _c, _u, m: seen.append(m.topic) if m.payload == b"online" else None
    watcher.connect("127.0.0.1", broker.port)
    watcher.subscribe(subscription(Channel.STATE, hall="demo"), qos=1)
    watcher.loop_start()
    devices = ["w01-keypad", "w01-led", "w01-rate", "w01-a-radar"]  # every serial kind
    agent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            RUN_AGENT,
            str(listing),
            "run",
            "--hall",
            str(DEMO),
            "--node",
            "pi-w01",
            "--broker",
            broker.url,
            "--data-dir",
            str(tmp_path / "edge"),
            *(a for d in devices for a in ("--device", d)),
        ],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: len(set(seen)) == len(devices), 20, "every device online")
    finally:
        agent.send_signal(signal.SIGTERM)
        _, err = agent.communicate(timeout=20)
        watcher.loop_stop()
    assert agent.returncode == 0, err
    modules = json.loads(listing.read_text())
    assert "edge.drivers.rating_device" in modules and "serial" in modules
    loaded = sorted(m for m in modules if m.split(".")[0] in HUB_ONLY + VISION)
    assert loaded == [], f"the edge agent loaded {loaded}"
