"""What the dashboard's browser tests share: the whole hub on a private broker and a SQLite
file, a headless Chromium page (zh-CN, downloads accepted), and logging in through the form.

One place for them (the hub settings, Chromium's flags, the login steps): each test module
used to carry its own copy. The fixtures `hub` and `page` (tests/e2e/conftest.py) are built
from these; a module that needs the hall's clock overrides `hub` with `running_hub(clock=...)`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from hub.server import HubServer
from hub.settings import HubSettings
from tests.support.auth import PASSWORD
from tests.support.broker import Broker

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "firmware_cfg" / "halls" / "demo"
SHOTS = ROOT / "test-artifacts" / "screenshots"
"""Screenshots of the default run's browser tests (gitignored)."""
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def running_hub(
    broker: Broker,
    folder: Path,
    *,
    clock: Callable[[], datetime] | None = None,
    tick_s: float = 60.0,
    **settings: Any,
) -> Iterator[HubServer]:
    """The whole hub (every area, logins on) of the demo hall on `broker`, its database in
    `folder`; `clock` the hall's clock when a test sets the time."""
    hub_settings = HubSettings(
        database_url=f"sqlite:///{folder / 'hub.db'}",
        broker_url=broker.url,
        hall_dirs=[DEMO],
        port=0,
        client_id=f"hk-e2e-{uuid.uuid4().hex[:6]}",
        secret_key=f"e2e-secret-{uuid.uuid4().hex}",
        tick_s=tick_s,
        **settings,
    )
    server = HubServer(hub_settings, **({"clock": clock} if clock else {})).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def chromium_page(
    *, width: int = 1280, height: int = 900, timeout_ms: int = 20_000
) -> Iterator[Any]:
    """A zh-CN page of Debian's Chromium that accepts downloads."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(
            accept_downloads=True, locale="zh-CN", viewport={"width": width, "height": height}
        )
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def form_login(
    page: Any, base: str, username: str, password: str = PASSWORD, path: str | None = None
) -> None:
    """Log out whoever is in, log `username` in through the form (the page names them), then
    open `path` if given."""
    page.context.clear_cookies()
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#login-submit")
    page.wait_for_selector("#whoami")
    assert page.locator("#whoami").inner_text().startswith(username)
    if path is not None:
        page.goto(base + path)


def shot(page: Any, name: str) -> None:
    """Keep a full-page screenshot as a test artefact."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
