"""Alerts to a group robot: each new or re-opened alert posted once, in Chinese, to a real local
HTTP server speaking the WeCom / DingTalk robot reply; DingTalk's signature; a refusal logged."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.dashboard.webhook import AlertWebhook, from_settings, signed_url
from hub.fleet import alerts as desk
from models.layout import load_hall

HALL = load_hall(Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo")
T0 = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


class Robot(BaseHTTPRequestHandler):
    """A robot endpoint: records what it is sent, answers as WeCom does."""

    posts: ClassVar[list[tuple[str, dict[str, Any]]]] = []
    errcode = 0

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        Robot.posts.append((self.path, body))
        reply = json.dumps({"errcode": Robot.errcode, "errmsg": "ok"}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def robot_url() -> Iterator[str]:
    Robot.posts, Robot.errcode = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/cgi-bin/webhook/send?key=k"
    server.shutdown()


def _raise(engine: Engine, at: datetime) -> int:
    with Session(engine) as s:
        raised = desk.raise_alert(
            s,
            hall="demo",
            subject="w07-a",
            kind="POST-2@x",
            now=at,
            source="compliance",
            words="violation.POST-2",
            values={"minutes": 1.1},
            rule="POST-2",
            window="w07",
        )
        s.commit()
    return raised.alert_id


def test_new_and_reopened_alerts_are_posted_once_in_chinese(
    sqlite_engine: Engine, robot_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with Session(sqlite_engine) as s:  # an alert from before the hub started is not posted
        desk.raise_alert(s, hall="demo", subject="w01-led", kind="offline", now=T0)
        s.commit()
    robot = AlertWebhook(sqlite_engine, [HALL], robot_url)
    robot.mark_now()
    alert_id = _raise(sqlite_engine, T0)
    assert robot.run_once() == 1 and robot.run_once() == 0
    ((path, body),) = Robot.posts
    assert path.endswith("key=k") and body["msgtype"] == "text"
    text = body["text"]["content"]
    assert text.startswith("【警告】示范政务服务大厅 · 7号窗口：离岗 1.1 分钟未放置暂停服务牌")
    assert "POST-2 离岗须放置暂停服务牌" in text
    with Session(sqlite_engine) as s:
        desk.resolve(s, alert_id, actor="chief", comment="已回岗", now=T0 + timedelta(minutes=5))
        s.commit()
    _raise(sqlite_engine, T0 + timedelta(minutes=30))  # back again: re-opened, posted again
    Robot.errcode = 310000  # the robot refuses (e.g. a wrong key): logged, the hub goes on
    assert robot.run_once() == 0 and "robot refused" in caplog.text
    assert len(Robot.posts) == 2 and "（再次发生）" in Robot.posts[1][1]["text"]["content"]


def test_dingtalk_posts_are_signed(sqlite_engine: Engine, robot_url: str) -> None:
    robot = AlertWebhook(sqlite_engine, [HALL], robot_url, fmt="dingtalk", secret="SEC123")
    robot.mark_now()
    _raise(sqlite_engine, T0)
    assert robot.run_once() == 1
    query = parse_qs(urlsplit(Robot.posts[0][0]).query)
    stamp = query["timestamp"][0]
    expected = hmac.new(b"SEC123", f"{stamp}\nSEC123".encode(), hashlib.sha256).digest()
    assert base64.b64decode(unquote(query["sign"][0])) == expected
    assert signed_url("https://x/robot/send?access_token=t", "s", 1).count("?") == 1


def test_no_webhook_unless_set() -> None:
    from hub.settings import HubBaseSettings

    assert from_settings(None, [HALL], HubBaseSettings()) is None  # type: ignore[arg-type]
