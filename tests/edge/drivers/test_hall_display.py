"""The hall screen driver: a real headless Chromium kept on a page, restarted when it dies."""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from edge.drivers.hall_display import HallDisplayConfig, HallDisplayDriver
from models.commands import Announce, DisplayText, make_command
from tests.support.device_context import RecordingContext
from tests.support.waiting import wait_until as wait_for

TZ = ZoneInfo("Asia/Shanghai")
CHROMIUM = shutil.which("chromium")


@pytest.fixture
def page() -> Iterator[tuple[str, list[str]]]:
    """A local page server that records the paths the browser asks for."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            body = "<html><body>大厅叫号</body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/queue/hall", seen
    server.shutdown()


def command(body: DisplayText | Announce) -> object:
    return make_command(hall="demo", device="hall-screen", ts=datetime.now(TZ), body=body)


def test_simulated_screen_keeps_notice_lines_and_refuses_other_commands() -> None:
    driver = HallDisplayDriver(
        RecordingContext("hall-screen", reports_facts=False), HallDisplayConfig()
    )
    driver.start()
    outcome = driver.handle(command(DisplayText(text="系统维护，暂停取号", line=1)))  # type: ignore[arg-type]
    assert outcome.ok and driver.lines == {1: "系统维护，暂停取号"}
    refused = driver.handle(command(Announce(text="请A001号到1号窗口办理")))  # type: ignore[arg-type]
    assert not refused.ok and "does not take announce" in refused.detail
    assert driver.status() == "ok"
    driver.stop()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_real_backend_shows_the_page_and_restarts_a_dead_browser(
    page: tuple[str, list[str]], tmp_path: object
) -> None:
    url, seen = page
    ctx = RecordingContext("hall-screen", reports_facts=False)
    browser = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path}",
    ]
    driver = HallDisplayDriver(
        ctx, HallDisplayConfig(backend="real", url=url, browser=browser, restart_s=0.2)
    )
    driver.start()
    try:
        wait_for(lambda: "/api/queue/hall" in seen)  # the browser loaded the hall page
        assert driver.status() == "ok"
        assert driver.browser is not None
        driver.browser.kill()  # the screen's browser dies (DEV-4)
        wait_for(lambda: ("browser_exited", True) in ctx.fault_states())
        wait_for(
            lambda: ("browser_exited", False) in ctx.fault_states()
        )  # restarted, fault cleared
        assert driver.restarts >= 1 and driver.status() == "ok"
    finally:
        driver.stop()
    assert driver.browser is None
