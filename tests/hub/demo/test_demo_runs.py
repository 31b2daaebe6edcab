"""Running the demo as a new user would (point 18.7): a busy web port is refused in words
before anything starts; two demos on one broker keep their own MQTT sessions (client ids of
their run: no takeovers); Ctrl-C stops the devices as a hall closing does, leaving no offline
alert behind, and the next run on the same folder starts without one."""

from __future__ import annotations

import os
import re
import socket
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from hub.cli.main import app
from hub.db import make_engine
from hub.demo.run import DemoProblem, run_demo
from hub.fleet.tables import Alert
from tests.support.auth import log_in, make_user
from tests.support.broker import Broker
from tests.test_demo import online, running_demo, wait

DEVICE_ALERTS = ("offline", "inactive")


def test_a_busy_port_is_refused_in_words_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(DemoProblem) as refused:
            run_demo(tmp_path / "demo", port=port)
        assert refused.value.key == "demo.port_busy" and refused.value.values == {"port": port}
        assert not (tmp_path / "demo").exists()  # no broker, no database made
        monkeypatch.delenv("HK_LANG", raising=False)
        monkeypatch.setenv("LANG", "zh_CN.UTF-8")
        args = ["demo", "--data-dir", str(tmp_path / "demo"), "--port", str(port)]
        said = CliRunner().invoke(app, args)
        assert said.exit_code == 1 and f"端口 {port} 已被占用" in said.output
        assert "--port 0" in said.output and "Traceback" not in said.output
        monkeypatch.setenv("HK_LANG", "en")
        said = CliRunner().invoke(app, args)
        assert said.exit_code == 1 and f"Port {port} is already in use" in said.output


def logged_in(hub: object) -> httpx.Client:
    client = httpx.Client(base_url=hub.api_url, timeout=10)  # type: ignore[attr-defined]
    name = f"demo-{uuid.uuid4().hex[:6]}"
    log_in(client, make_user(hub.engine, name))  # type: ignore[attr-defined]
    return client


def test_two_demos_on_one_broker_keep_their_own_sessions(tmp_path: Path) -> None:
    broker = Broker(
        tmp_path / "broker", extra_conf="log_type notice\nlog_type information\n"
    ).start()
    try:
        with (
            running_demo(tmp_path / "a", broker.url, scenario=False) as a,
            running_demo(tmp_path / "b", broker.url, scenario=False) as b,
        ):
            for hub in (a, b):
                client = logged_in(hub)
                wait(lambda c=client: online(c) >= 50, "the demo devices online")
            time.sleep(5)  # with shared client ids the two would now knock each other off
        log = broker.log.read_text(errors="replace")
    finally:
        broker.kill()
    assert "already connected, closing old connection" not in log
    led = set(re.findall(r"as (demo\.w01-led-\w+)", log))
    hubs = set(re.findall(r"as (hk-demo-\w+)-ingest", log))
    assert len(led) == 2 and len(hubs) == 2, (led, hubs)  # one client id per run


def test_the_demo_starts_its_own_broker_even_when_the_machine_has_one(tmp_path: Path) -> None:
    """Two demos on the machine's shared broker would see each other's hall: each run starts
    its own mosquitto on a free port instead (the machine's only with --broker)."""
    from hub.demo.broker import answers_mqtt, choose_broker

    if not answers_mqtt("127.0.0.1", 1883):
        pytest.skip("no broker on 127.0.0.1:1883 here")
    first, second = choose_broker(tmp_path / "a"), choose_broker(tmp_path / "b")
    try:
        assert first.process is not None and second.process is not None
        assert len({first.url, second.url, "mqtt://127.0.0.1:1883"}) == 3
        # a Ctrl-C at the terminal goes to the demo's process group, not to its broker: the
        # demo stops its devices through the broker first (it used to die with them at once)
        assert os.getpgid(first.process.pid) not in (os.getpgid(0), 0)
    finally:
        first.stop()
        second.stop()


def device_alerts(data_dir: Path, since: datetime | None = None) -> list[Alert]:
    """Offline or inactive alerts in a demo folder's database (opened since `since`)."""
    engine = make_engine(f"sqlite:///{data_dir / 'hub.db'}")
    try:
        with Session(engine) as s:
            q = select(Alert).where(col(Alert.kind).in_(DEVICE_ALERTS))
            found = list(s.exec(q).all())
    finally:
        engine.dispose()
    if since is None:
        return found
    return [a for a in found if a.opened_at and a.opened_at.replace(tzinfo=UTC) >= since]


def test_a_clean_stop_leaves_no_alert_behind_for_the_next_run(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    ready: Callable[[httpx.Client], bool] = lambda c: online(c) >= 50  # noqa: E731
    with running_demo(folder, None, scenario=False) as hub:  # its own broker, the default
        wait(lambda c=logged_in(hub): ready(c), "the demo devices online")
        stopping = datetime.now(UTC)
    assert device_alerts(folder, since=stopping) == []  # the stop raised none
    assert not [a for a in device_alerts(folder) if a.state == "open"]
    restarted = datetime.now(UTC)
    with running_demo(folder, None, scenario=False) as hub:
        wait(lambda c=logged_in(hub): ready(c), "the demo devices online again")
        time.sleep(3)
    assert device_alerts(folder, since=restarted) == []  # nor did the stale states
