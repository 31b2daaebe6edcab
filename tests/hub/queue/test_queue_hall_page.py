"""The hall screen in headless Chromium: a call made on the hub appears by push (SSE)."""

from __future__ import annotations

import shutil

import pytest

from hub.commands import RecordingSender
from hub.queue.service import QueueProjector

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine"),
]


def test_hall_page_shows_a_new_call_without_polling(
    api: tuple[str, QueueProjector, RecordingSender],
) -> None:
    # rule QUEUE-4
    from playwright.sync_api import sync_playwright

    url, projector, _ = api
    projector.issue("social")
    projector.issue("medical")
    projector.act("w01", "next")
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"{url}/api/queue/hall")
            page.wait_for_function("document.body.dataset.updated !== undefined")
            assert page.text_content("#now-ticket") == "A001"
            projector.act("w03", "next")
            page.wait_for_function(
                "document.getElementById('now-ticket').textContent === 'B001'", timeout=10_000
            )
            assert page.text_content("#now-where") == "请到3号窗口"
            assert "A001" in (page.text_content("#calls") or "")
            assert "医保业务" in (page.text_content("#waiting") or "")
        finally:
            browser.close()
    # one page load and one event stream: the update came by push
    assert [r.split("/api/queue/")[1].split("?")[0] for r in requests] == ["hall", "stream"]
