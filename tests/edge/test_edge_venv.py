"""Issue 17's "done when": a fresh venv with only `hallkeeper[edge]` runs a node of the demo hall
against the hub.

The wheel is built from this checkout (as deploy/pi/provision.sh installs it), put in a new venv
with its `[edge]` extra only (the dependencies come from pip's cache and the configured index),
and that venv's `hallkeeper-edge run` serves node pi-w01 (seven devices: keypad, LED display,
rating device, two radars, two away signs) against a real hub (ingest, fleet, config push) on a
private Mosquitto. Every device must come online, take the hub's config document and report it
applied, its facts stored, nothing dead-lettered; the venv must hold nothing of the hub.

Marked slow: about 30 s of CPU (wheel, venv, install), a few minutes of wall time on a busy host.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.server import HubServer
from hub.settings import HubSettings
from models.layout import load_hall
from tests.support.broker import Broker
from tests.support.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "firmware_cfg" / "halls" / "demo"
NODE = "pi-w01"
SOURCES = ("pyproject.toml", "README.md", "models", "edge", "hub")
HUB_DISTRIBUTIONS = ("fastapi", "starlette", "uvicorn", "sqlmodel", "sqlalchemy", "alembic")
HUB_DISTRIBUTIONS += ("psycopg", "jinja2", "openpyxl", "typer", "argon2-cffi", "opencv-python")

pytestmark = pytest.mark.slow


def run(args: list[str], cwd: Path, timeout: float = 600) -> str:
    """Run a command; its output, or the failure with what it printed."""
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args[:3]}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def edge_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with the wheel of this checkout and its [edge] extra, nothing else."""
    root = tmp_path_factory.mktemp("edge-install")
    src = root / "src"
    src.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    run([*pip, "wheel", "-q", "--no-deps", "-w", str(root / "wheel"), str(src)], root)
    (wheel,) = (root / "wheel").glob("hallkeeper-*.whl")
    venv = root / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], root)
    python = venv / "bin" / "python"
    run([*pip, "--python", str(python), "install", "-q", f"{wheel}[edge]"], root)
    return venv


def installed(venv: Path) -> set[str]:
    """Distribution names in the venv, lower case."""
    listing = run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.metadata as m; print('\\n'.join(d.metadata['Name'] for d in "
            "m.distributions()))",
        ],
        venv,
    )
    return {line.strip().lower() for line in listing.splitlines() if line.strip()}


@pytest.fixture
def hub(broker: Broker, migrated_hub_db: str) -> Iterator[HubServer]:
    """The hub (ingest, fleet, config push at start) of the demo hall on the private broker."""
    settings = HubSettings(
        database_url=migrated_hub_db,
        broker_url=broker.url,
        hall_dirs=[DEMO],
        port=0,
        secret_key="test-secret",
        client_id=f"hk-test-{uuid.uuid4().hex[:6]}",
    )
    server = HubServer(settings, area_modules=[], serve_api=False).start()
    yield server
    server.stop()


def test_the_edge_install_holds_nothing_of_the_hub(edge_venv: Path) -> None:
    names = installed(edge_venv)
    assert {"hallkeeper", "paho-mqtt", "pydantic", "pyserial", "gpiozero"} <= names
    assert sorted(names & set(HUB_DISTRIBUTIONS)) == []
    assert (edge_venv / "bin" / "hallkeeper-edge").exists()
    hub_command = subprocess.run(
        [str(edge_venv / "bin" / "hallkeeper"), "--help"], capture_output=True, text=True
    )
    assert hub_command.returncode == 1  # the hub's command, on a Pi: says what to run instead
    assert "hallkeeper-edge run" in hub_command.stderr and "Traceback" not in hub_command.stderr


def test_the_edge_install_runs_a_node_of_the_demo_hall_against_the_hub(
    edge_venv: Path, hub: HubServer, broker: Broker, tmp_path: Path
) -> None:
    devices = sorted(d.id for d in load_hall(DEMO).devices if d.node == NODE)
    assert len(devices) == 7
    agent = subprocess.Popen(
        [
            str(edge_venv / "bin" / "hallkeeper-edge"),
            "run",
            "--hall",
            str(DEMO),
            "--node",
            NODE,
            "--broker",
            broker.url,
            "--data-dir",
            str(tmp_path / "edge"),
        ],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert hub.engine is not None
    engine = hub.engine

    def health() -> dict[str, tuple[bool | None, int | None]]:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT device, online, applied_config_version FROM device_health")
            )
            return {r[0]: (r[1], r[2]) for r in rows if r[0] in devices}

    try:
        wait_until(
            lambda: (
                all(on and (applied or 0) >= 1 for on, applied in health().values())
                and len(health()) == len(devices)
            ),
            120,
            "every device of the node online with the hub's config applied",
        )
    finally:
        agent.send_signal(signal.SIGTERM)
        _, err = agent.communicate(timeout=60)
    assert agent.returncode == 0, err[-3000:]
    with engine.connect() as conn:
        stored = {
            (r[0], r[1])
            for r in conn.execute(sa.text("SELECT device, type FROM event WHERE hall = 'demo'"))
        }
        dead = conn.execute(sa.text("SELECT count(*) FROM dead_letter")).scalar_one()
    assert {d for d, t in stored if t == "config_applied"} == set(devices)
    assert {t for _d, t in stored} - {"config_applied", "heartbeat"}  # facts besides, e.g. presence
    assert dead == 0
