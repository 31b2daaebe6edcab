"""`hallkeeper hub ...` and `hallkeeper config validate` as an operator runs them."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from hub.cli.main import app
from hub.db import make_engine
from tests.support.broker import Broker

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "firmware_cfg" / "halls" / "demo"
runner = CliRunner()
HALLKEEPER = str(Path(sys.executable).parent / "hallkeeper")


def test_config_validate_ok_and_errors(tmp_path: Path) -> None:
    # the demo hall without its face terminals: their driver loads the whole vision stack,
    # which costs seconds and tests nothing more here
    hall = tmp_path / "demo"
    shutil.copytree(DEMO, hall)
    for face in (hall / "devices").glob("ent-face*.toml"):
        face.unlink()
    ok = runner.invoke(app, ["config", "validate", str(hall)])
    assert ok.exit_code == 0, ok.output
    assert "ok: hall demo" in ok.output and "50 devices" in ok.output
    led = hall / "devices" / "w01-led.toml"
    led.write_text(led.read_text(encoding="utf-8") + "bogus_setting = 1\n", encoding="utf-8")
    res = runner.invoke(app, ["config", "validate", str(tmp_path)])  # a folder of halls
    assert res.exit_code == 1
    assert "w01-led.toml: settings: bogus_setting" in res.output
    led.write_text('id = "w01-led"\nkind = "counter_display"\nnode = "pi-w01"\nwindow = "w99"\n')
    res = runner.invoke(app, ["config", "validate", str(hall)])
    assert res.exit_code == 1
    assert "unknown window 'w99'" in res.output
    missing = runner.invoke(app, ["config", "validate", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "hall.toml" in missing.output


def test_hub_migrate_creates_fleet_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    res = runner.invoke(app, ["hub", "migrate", "--db", url])
    assert res.exit_code == 0, res.output
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"device", "device_health", "alert", "config_version", "opening_check"} <= tables


def test_hub_push_config_twice_keeps_versions(tmp_path: Path, broker: Broker) -> None:
    args = [
        "hub",
        "push-config",
        "--db",
        f"sqlite:///{tmp_path / 'p.db'}",
        "--broker",
        broker.url,
        "--hall",
        str(DEMO),
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "demo/w01-led: v1 (new) published" in first.output
    second = runner.invoke(app, args)
    assert second.exit_code == 0
    assert "demo/w01-led: v1 (same) published" in second.output


def test_hub_run_serves_and_stops_on_sigterm(tmp_path: Path, broker: Broker) -> None:
    env = {
        **os.environ,
        "HK_SECRET_KEY": "test",
        "HK_CLIENT_ID": "hk-run-test",
        "HK_AREAS": "[]",
        "HK_AUTH_REQUIRED": "false",  # this test reads /api/devices without logging in
    }
    proc = subprocess.Popen(
        [
            HALLKEEPER,
            "hub",
            "run",
            "--db",
            f"sqlite:///{tmp_path / 'r.db'}",
            "--broker",
            broker.url,
            "--hall",
            str(DEMO),
            "--port",
            "0",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("hub running: API http://"), line
        url = line.split()[3].rstrip(",")
        health = httpx.get(f"{url}/api/health", timeout=5).json()
        assert health["database"] == "ok" and health["halls"] == ["demo"]
        devices = httpx.get(f"{url}/api/devices", timeout=5).json()
        assert len(devices) == 52
    finally:
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    assert proc.returncode == 0


def test_hub_run_without_secret_says_what_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HK_SECRET_KEY"}
    proc = subprocess.run(
        [HALLKEEPER, "hub", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "HK_SECRET_KEY" in proc.stderr


def test_hub_ingest_worker_projects_fleet(tmp_path: Path, broker: Broker) -> None:
    import paho.mqtt.client as mqtt
    from sqlmodel import Session

    from hub.db import migrate
    from hub.fleet.tables import DeviceHealth
    from models.topics import Channel, build_topic

    url = f"sqlite:///{tmp_path / 'i.db'}"
    engine = make_engine(url)
    migrate(engine)
    env = {**os.environ, "HK_SECRET_KEY": "test", "HK_AREAS": "[]"}
    proc = subprocess.Popen(
        [
            HALLKEEPER,
            "hub",
            "ingest",
            "--db",
            url,
            "--broker",
            broker.url,
            "--hall",
            str(DEMO),
            "--share-group",
            "hub",
            "--client-id",
            "hk-ingest-1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    dev = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id="d1", protocol=mqtt.MQTTv5
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("ingest worker running")
        dev.connect("127.0.0.1", broker.port)
        dev.loop_start()
        dev.publish(
            build_topic("demo", "w05-led", Channel.STATE), b"offline", qos=1, retain=True
        ).wait_for_publish(5)
        deadline = time.monotonic() + 20
        row = None
        while time.monotonic() < deadline:
            with Session(engine) as s:
                row = s.get(DeviceHealth, ("demo", "w05-led"))
            if row is not None:
                break
            time.sleep(0.05)
        assert row is not None and row.online is False
    finally:
        dev.disconnect()
        dev.loop_stop()
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        engine.dispose()
    assert proc.returncode == 0


def test_hub_run_validate_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HK_SECRET_KEY", "test")
    ok = runner.invoke(app, ["hub", "run", "--hall", str(DEMO), "--validate-config"])
    assert ok.exit_code == 0, ok.output
    assert "ok: settings valid; halls demo (52 devices)" in ok.output
    monkeypatch.setenv("HK_PORT", "99999")
    bad = runner.invoke(app, ["hub", "run", "--hall", str(DEMO), "--validate-config"])
    assert bad.exit_code == 2 and "port" in bad.output
