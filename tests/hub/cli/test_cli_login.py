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
