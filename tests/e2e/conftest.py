"""The browser tests' fixtures: the whole hub of the demo hall and a Chromium page
(tests/e2e/browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.server import HubServer
from tests.e2e.browser import CHROMIUM, chromium_page, running_hub
from tests.support.broker import Broker


@pytest.fixture
def hub(broker: Broker, tmp_path: Path, migrated_hub_db: str) -> Iterator[HubServer]:
    """The whole hub (every area, logins on) on a private broker and a SQLite file."""
    with running_hub(broker, tmp_path) as server:
        yield server


@pytest.fixture
def page_width() -> int:
    """The browser window's width (a module with wide tables asks for more)."""
    return 1280


@pytest.fixture
def page(page_width: int) -> Iterator[Any]:
    """A zh-CN Chromium page that accepts downloads (skipped where Chromium is missing)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    with chromium_page(width=page_width) as pg:
        yield pg
