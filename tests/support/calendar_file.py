"""A fixture: the hub's hall calendar file in a temporary folder (rule ATT-10)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.attendance import calendar as cal


@pytest.fixture
def hall_calendar(tmp_path: Path) -> Iterator[Path]:
    """Use tmp_path/calendar.toml as the hall calendar file; the previous one afterwards."""
    before = cal.hall_years()
    path = tmp_path / "calendar.toml"
    cal.use_file(path)
    yield path
    cal._hall = before
