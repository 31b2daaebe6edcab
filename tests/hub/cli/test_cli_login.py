"""The CLI logs in to a running hub with authentication on (point 18.3): a password from the
environment, or a token from `hallkeeper login`; refusals said in words (exit codes 1/2)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from hub.cli.main import app
from hub.users.accounts import Role
from tests.support.auth import PASSWORD, full_app, make_user

run = CliRunner().invoke


@pytest.fixture
def hub_url(sqlite_engine: Engine) -> Iterator[str]:
    config = uvicorn.Config(full_app(sqlite_engine), host="127.0.0.1", port=0, log_level="warning")
    sock = config.bind_socket()
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)


def test_queue_commands_log_in_by_password_or_token(
    hub_url: str, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HK_API_TOKEN", "HK_API_USER", "HK_API_PASSWORD", "HK_LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HK_API_URL", hub_url)
    make_user(sqlite_engine, "lead", Role.WINDOW_LEAD)
    make_user(sqlite_engine, "guest", Role.VIEWER)
    r = run(app, ["queue", "take", "social"])
    assert r.exit_code == 1 and "需要登录" in r.output and "HK_API_TOKEN" in r.output
    monkeypatch.setenv("HK_API_USER", "lead")
    monkeypatch.setenv("HK_API_PASSWORD", "wrong-password-1")
    r = run(app, ["queue", "take", "social"])
    assert r.exit_code == 1 and "拒绝登录" in r.output
    monkeypatch.setenv("HK_API_PASSWORD", PASSWORD)
    r = run(app, ["queue", "take", "social"])
    assert r.exit_code == 0 and r.output.startswith("A001"), r.output

    r = run(app, ["login"])
    assert r.exit_code == 0 and r.stdout.startswith("export HK_API_TOKEN=")
    token = r.stdout.split("=", 1)[1].strip()
    for name in ("HK_API_USER", "HK_API_PASSWORD"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("HK_API_TOKEN", token)
    r = run(app, ["queue", "act", "w01", "next"])  # a change, by token: no CSRF needed
    assert r.exit_code == 0 and "A001" in r.output, r.output
    assert "1号窗口  A001" in run(app, ["queue", "state"]).output
    monkeypatch.setenv("HK_API_TOKEN", token[:-4] + "AAAA")
    r = run(app, ["queue", "state"])
    assert r.exit_code == 1 and "hallkeeper login" in r.output

    monkeypatch.delenv("HK_API_TOKEN")
    monkeypatch.setenv("HK_API_USER", "guest")
    monkeypatch.setenv("HK_API_PASSWORD", PASSWORD)
    monkeypatch.setenv("HK_LANG", "en")
    r = run(app, ["queue", "take", "social"])
    assert r.exit_code == 1 and "Refused (403)" in r.output  # a viewer changes nothing
    monkeypatch.setenv("HK_API_URL", "http://127.0.0.1:9")
    r = run(app, ["queue", "state"])
    assert r.exit_code == 2 and "Cannot reach the hub" in r.output


def _read_until(fd: int, want: str, timeout: float = 60.0) -> str:
    """Read a pty until `want` shows (or the timeout)."""
    import os
    import select

    seen = b""
    deadline = time.monotonic() + timeout
    while want.encode() not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen.decode("utf-8", "replace")


def test_at_a_terminal_the_cli_asks_for_the_password_without_echo(
    hub_url: str, sqlite_engine: Engine
) -> None:
    """No token nor password in the environment: the operator types them at the prompt (a real
    pseudo-terminal), the password is not shown, and the command runs logged in."""
    import os
    import pty
    import subprocess
    import sys
    from pathlib import Path

    make_user(sqlite_engine, "lead", Role.WINDOW_LEAD)
    exe = Path(sys.executable).with_name("hallkeeper")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HK_API_TOKEN", "HK_API_USER", "HK_API_PASSWORD", "HK_LANG")
    }
    env.update(HK_API_URL=hub_url, LANG="zh_CN.UTF-8")
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [str(exe), "queue", "take", "social"], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    try:
        assert "用户名" in _read_until(master, "用户名")
        os.write(master, b"lead\n")
        # the hidden prompt's trailing space comes once echo is off (getpass flushes input
        # typed before that)
        assert "密码: " in _read_until(master, "密码: ")
        os.write(master, PASSWORD.encode() + b"\n")
        out = _read_until(master, "分钟", timeout=90)
        assert proc.wait(90) == 0, out
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert "A001" in out and PASSWORD not in out  # typed without echo
