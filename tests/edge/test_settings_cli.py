"""Agent settings, the clock and thermal readers, and `hallkeeper edge run --validate-config`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from edge.clock import Clock, read_clock, read_cpu_temp
from edge.settings import AgentSettings
from hub.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "firmware_cfg" / "halls" / "demo"


def test_settings_from_the_environment_and_per_device_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HK_EDGE_BROKER_URL", "mqtts://broker.hall:8883")
    monkeypatch.setenv("HK_EDGE_USERNAME", "{device}")
    monkeypatch.setenv("HK_EDGE_TLS_CERT", "/etc/hallkeeper/certs/{device}.crt")
    monkeypatch.setenv("HK_EDGE_TLS_KEY", "/etc/hallkeeper/certs/{device}.key")
    (tmp_path / "w01-a-sign.pw").write_text("s3cret\n")
    settings = AgentSettings(password_file=tmp_path / "{device}.pw")
    broker = settings.broker("w01-a-sign")  # what the device's session connects with
    assert (broker.host, broker.port, broker.tls) == ("broker.hall", 8883, True)
    assert broker.username == "w01-a-sign" and broker.password is not None
    assert broker.password.get_secret_value() == "s3cret"
    assert str(broker.tls_cert) == "/etc/hallkeeper/certs/w01-a-sign.crt"  # mutual TLS
    assert str(broker.tls_key) == "/etc/hallkeeper/certs/w01-a-sign.key"
    assert settings.credentials("w01-a-sign") == ("w01-a-sign", "s3cret")
    monkeypatch.delenv("HK_EDGE_TLS_KEY")
    with pytest.raises(ValidationError, match="tls_cert and tls_key together"):
        AgentSettings(password_file=tmp_path / "{device}.pw")
    monkeypatch.delenv("HK_EDGE_TLS_CERT")
    monkeypatch.setenv("HK_EDGE_PASSWORD", "from-env")
    monkeypatch.delenv("HK_EDGE_USERNAME")
    settings = AgentSettings()
    assert settings.credentials("x") == (None, "from-env")
    assert "from-env" not in repr(settings)  # a secret never shows in logs


def test_settings_refuse_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HK_EDGE_PASSWORD", raising=False)
    assert AgentSettings().password is None  # no default secret
    with pytest.raises(ValidationError, match="mqtt://host:port"):
        AgentSettings(broker_url="http://x")
    with pytest.raises(ValidationError, match="extra"):
        AgentSettings(heartbeat=3)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="greater than 0"):
        AgentSettings(heartbeat_s=0)


def test_clock_and_temperature_readers(tmp_path: Path) -> None:
    state = read_clock()
    assert isinstance(state.synced, bool)
    assert Clock(forced_synced=True).state().synced is True
    zone = tmp_path / "thermal_zone0"
    zone.mkdir()
    (zone / "temp").write_text("48312\n")
    assert read_cpu_temp(tmp_path) == pytest.approx(48.312)
    assert read_cpu_temp(tmp_path / "none") is None


def test_validate_config_of_the_demo_node() -> None:
    result = CliRunner().invoke(
        app, ["edge", "run", "--hall", str(DEMO), "--node", "pi-w01", "--validate-config"]
    )
    assert result.exit_code == 0, result.output
    assert "ok: w01-a-sign (away_sign)" in result.output


def test_validate_config_names_the_bad_device(tmp_path: Path) -> None:
    hall = tmp_path / "hall"
    shutil.copytree(DEMO, hall)
    sign = hall / "devices" / "w01-a-sign.toml"
    original = sign.read_text()
    sign.write_text(original + "debounce_s = 60\n")
    result = CliRunner().invoke(
        app, ["edge", "run", "--hall", str(hall), "--node", "pi-w01", "--validate-config"]
    )
    assert result.exit_code == 1
    assert "w01-a-sign.toml: settings: debounce_s" in result.output
    sign.write_text(original)
    result = CliRunner().invoke(
        app, ["edge", "run", "--hall", str(hall), "--node", "pi-zz", "--validate-config"]
    )
    assert result.exit_code == 1 and "no devices on node 'pi-zz'" in result.output
    result = CliRunner().invoke(
        app,
        [
            "edge",
            "run",
            "--hall",
            str(hall),
            "--node",
            "pi-w01",
            "--broker",
            "tcp://x",
            "--validate-config",
        ],
    )
    assert result.exit_code == 1 and "broker_url" in result.output
