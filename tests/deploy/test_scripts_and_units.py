"""deploy/ scripts and systemd units: syntax, shellcheck, systemd-analyze, settings templates."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.deploy.securebroker import DEPLOY, MAKE_CERTS, MAKE_USERS, REPO

SCRIPTS = sorted(DEPLOY.rglob("*.sh"))
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
PROVISION = DEPLOY / "pi" / "provision.sh"
HALL = REPO / "firmware_cfg" / "halls" / "demo"


def read_env(path: Path) -> dict[str, str]:
    """KEY=value lines of an EnvironmentFile (comments and blanks skipped)."""
    pairs = [ln.split("=", 1) for ln in path.read_text().splitlines() if re.match(r"^\w+=", ln)]
    # systemd (and sh) remove quotes that wrap a whole value
    return {k: v[1:-1] if len(v) > 1 and v[0] == v[-1] and v[0] in "'\"" else v for k, v in pairs}


def test_there_are_scripts_and_units():
    names = {p.name for p in SCRIPTS} | {p.name for p in UNITS}
    assert {"make-certs.sh", "provision.sh", "hallkeeper-hub.service"} <= names
    assert "hallkeeper-edge@.service" in names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_shell_scripts_parse_and_are_shellcheck_clean(script: Path):
    subprocess.run(["bash", "-n", str(script)], check=True)
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed")
    out = subprocess.run(["shellcheck", "-x", str(script)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_units_pass_systemd_analyze_verify(tmp_path: Path):
    # A scratch root: the real unit library, our units and the mosquitto drop-in, and stand-ins
    # for the programs the units run (systemd-analyze checks that Exec* programs exist).
    lib = tmp_path / "lib" / "systemd" / "system"
    shutil.copytree("/lib/systemd/system", lib, symlinks=True)
    units = tmp_path / "etc" / "systemd" / "system"
    units.mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(unit, units / unit.name)
    shutil.copytree(DEPLOY / "systemd" / "mosquitto.service.d", units / "mosquitto.service.d")
    names = ["hallkeeper-hub.service", "hallkeeper-edge@pi-w01.service"]
    texts = [u.read_text() for u in UNITS]
    if (lib / "mosquitto.service").exists():
        names.append("mosquitto.service")
        texts.append((lib / "mosquitto.service").read_text())
    for text in texts:
        for line in re.findall(r"^Exec\w*=[-@:+!]*(.*)$", text, flags=re.M):
            exe = tmp_path / shlex.split(line)[0].lstrip("/")
            exe.parent.mkdir(parents=True, exist_ok=True)
            exe.write_text("#!/bin/sh\n")
            exe.chmod(0o755)
    out = subprocess.run(
        ["systemd-analyze", "verify", f"--root={tmp_path}", "--man=no", *names],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0 and out.stderr.strip() == "", out.stderr  # warnings count too


def test_units_restart_and_are_hardened():
    for unit in UNITS:
        text = unit.read_text()
        for needed in (
            "Restart=always",
            "RestartSec=",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "ReadWritePaths=/var/lib/hallkeeper",
            "User=hallkeeper",
            "EnvironmentFile=/etc/hallkeeper/",
        ):
            assert needed in text, (unit.name, needed)


def test_edge_unit_lets_the_agent_read_the_kernel_ntp_state():
    unit = (DEPLOY / "systemd" / "hallkeeper-edge@.service").read_text()
    assert "adjtimex" in (REPO / "edge" / "clock.py").read_text()  # what the agent calls
    (line,) = re.findall(r"^SystemCallFilter=(.*)$", unit, flags=re.M)
    assert "adjtimex" in line.split() and "ProtectClock=yes" not in unit


def test_unit_commands_exist_in_the_code():
    from typer.testing import CliRunner

    from hub.cli.main import app

    hub_unit = (DEPLOY / "systemd" / "hallkeeper-hub.service").read_text()
    assert "ExecStart=/opt/hallkeeper/venv/bin/hallkeeper hub run\n" in hub_unit
    assert CliRunner().invoke(app, ["hub", "run", "--help"]).exit_code == 0
    edge_unit = (DEPLOY / "systemd" / "hallkeeper-edge@.service").read_text()
    (cmd,) = re.findall(r"^ExecStart=(.*)$", edge_unit, flags=re.M)
    args = shlex.split(cmd)
    assert args[0] == "/opt/hallkeeper/venv/bin/hallkeeper-edge"  # the edge install's command
    from edge.cli import parser

    parsed = parser().parse_args([a.replace("%i", "pi-w01") for a in args[1:]])
    assert (parsed.command, parsed.node, str(parsed.hall)) == (
        "run",
        "pi-w01",
        "/etc/hallkeeper/hall",
    )
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["hallkeeper-edge"] == "edge.cli:main"


def test_hub_env_example_is_valid_hub_settings(monkeypatch: pytest.MonkeyPatch):
    from hub.settings import HubSettings

    env = read_env(DEPLOY / "systemd" / "hub.env.example")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = HubSettings()
    assert settings.broker_username == "hub"
    assert settings.hall_dirs == [Path("/etc/hallkeeper/halls/demo")]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CA and users for the demo hall, as an operator makes them before provisioning a Pi."""
    root = tmp_path_factory.mktemp("gen")
    subprocess.run(
        ["bash", str(MAKE_CERTS), "-d", str(root / "pki"), "ca"], check=True, capture_output=True
    )
    subprocess.run(
        [
            sys.executable,
            str(MAKE_USERS),
            "--hall",
            str(HALL),
            "--out",
            str(root / "out"),
            "--pki",
            str(root / "pki"),
        ],
        check=True,
        capture_output=True,
    )
    return root


def provision(
    generated: Path,
    *extra: str,
    node: str = "pi-w01",
    broker: str = "mqtts://broker.hall.local:8883",
) -> subprocess.CompletedProcess[str]:
    """provision.sh --dry-run with the generated files."""
    return subprocess.run(
        [
            "bash",
            str(PROVISION),
            "--dry-run",
            "--node",
            node,
            "--hall",
            str(HALL),
            "--users",
            str(generated / "out"),
            "--ca",
            str(generated / "pki" / "ca.crt"),
            "--pki",
            str(generated / "pki"),
            "--broker",
            broker,
            *extra,
        ],
        capture_output=True,
        text=True,
    )


def test_provision_dry_run_installs_the_nodes_devices_and_enables_its_unit(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from edge.settings import AgentSettings
    from models.layout import load_hall

    out = provision(generated)
    assert out.returncode == 0, out.stderr
    plan = out.stdout.replace("\\[", "[").replace("\\]", "]")  # printf %q escapes brackets
    assert "+ systemctl enable hallkeeper-edge@pi-w01.service" in plan
    assert "python3-lgpio" in plan or "pip install -q lgpio" in plan  # Pi OS, or plain Debian
    assert re.search(r"pip install -q \S+\[edge\]\n", plan)  # the edge install only
    assert "face_recognition" not in plan and "libopenblas0" not in plan  # no face terminal here
    assert "hallkeeper-edge run --hall" in plan and "--validate-config" in plan
    installed = set(re.findall(r"secrets/([\w-]+)\.password /etc/hallkeeper/secrets/", plan))
    assert installed == {d.id for d in load_hall(HALL).node_devices("pi-w01")}
    env_text = "\n".join(
        ln.split("edge.env| ", 1)[1] for ln in plan.splitlines() if "edge.env| " in ln
    )
    (tmp_path / "edge.env").write_text(env_text)
    env = read_env(tmp_path / "edge.env")
    assert env["HK_EDGE_BROKER_URL"] == "mqtts://broker.hall.local:8883"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = AgentSettings()  # the agent accepts the file provision.sh writes
    broker = settings.broker_url
    assert broker == "mqtts://broker.hall.local:8883"
    assert str(settings.tls_ca) == "/etc/hallkeeper/ca.crt"
    assert str(settings.tls_cert) == "/etc/hallkeeper/certs/{device}.crt"  # mutual TLS
    assert str(settings.tls_key) == "/etc/hallkeeper/certs/{device}.key"
    certs = set(re.findall(r"clients/([\w-]+)\.crt /etc/hallkeeper/certs/", plan))
    assert certs == installed
    secret = generated / "out" / "secrets" / "w01-led.password"
    assert settings.username and settings.username.format(device="w01-led") == "w01-led"
    assert (
        str(settings.password_file)
        .replace("{device}", "w01-led")
        .endswith("secrets/w01-led.password")
        and secret.exists()
    )


def test_provision_of_a_face_terminal_node_installs_the_face_extra(generated: Path):
    plan = provision(generated, node="pi-entrance").stdout.replace("\\", "")
    assert re.search(r"pip install -q \S+\[face\]\n", plan)
    assert "--no-deps face_recognition==1.3.0" in plan and "libopenblas0" in plan


def test_provision_of_a_screen_node_installs_the_browser_and_a_cjk_font(generated: Path):
    """The hall screen and kiosk show Chinese pages: without a CJK font they show tofu."""
    screen = provision(generated, node="pi-hall")
    assert screen.returncode == 0, screen.stderr
    install = next(ln for ln in screen.stdout.splitlines() if "apt-get install" in ln)
    assert "fonts-noto-cjk" in install and "chromium" in install
    counter = provision(generated).stdout  # pi-w01: serial devices, no screen
    assert "fonts-noto-cjk" not in counter and "chromium" not in counter


def test_provision_refuses_an_unknown_node_and_plain_mqtt(generated: Path):
    unknown = provision(generated, node="pi-nowhere")
    assert unknown.returncode != 0 and "pi-nowhere" in unknown.stderr
    plain = provision(generated, broker="mqtt://broker.hall.local:1883")
    assert plain.returncode != 0 and "mqtts://" in plain.stderr


def test_measure_broker_prints_its_figures():
    out = subprocess.run(
        [
            sys.executable,
            str(DEPLOY / "cluster" / "measure_broker.py"),
            "--devices",
            "5",
            "--messages",
            "4",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert figures["messages"] == 20 and figures["broker_cpu_us_per_message"] >= 0
    assert figures["tls_connects_per_s"] > 0 and "broker_rss_per_tls_connection_kb" in figures
