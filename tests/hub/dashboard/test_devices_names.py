"""The devices page names seats and devices as the hall's layout does, the id beside it as
secondary text (STYLE point 11: no bare codes as the words a person reads)."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from hub.users.accounts import Role
from tests.support.pages import leaks, parse


def row(html: str, device: str) -> str:
    """The devices table's row of one device."""
    found = re.search(rf'<tr[^>]*id="device-{re.escape(device)}".*?</tr>', html, re.S)
    assert found, device
    return found.group(0)


def shown(html: str) -> str:
    """The row's visible words, ids in <code> left out."""
    return " ".join(text for text, _ in parse(html).nodes)


def test_the_devices_page_shows_the_layouts_names_with_the_id_beside(
    browser_as: Callable[[Role], TestClient],
) -> None:
    viewer = browser_as(Role.VIEWER)
    for lang in ("zh-CN", "en"):
        page = viewer.get(f"/devices?lang={lang}").text
        face = row(page, "ent-face1")
        assert "入口人脸考勤机（东）" in shown(face)  # the layout's name for the device
        assert "ent-face1" not in shown(face) and '<code class="muted">ent-face1</code>' in face
        radar = row(page, "w01-b-radar")
        assert "1号窗口B岗" in shown(radar) and "w01-b" not in shown(radar)
        assert '<code class="muted">w01-b</code>' in radar  # the seat's id, secondary
    page = viewer.get("/devices?lang=zh-CN").text
    rate = row(page, "w02-rate")  # no name in the layout: its window and kind
    assert "2号窗口 评价器" in shown(rate) and "w02-rate" not in shown(rate)
    assert not leaks(page), leaks(page)


def test_the_hall_map_and_the_duty_page_name_seats_as_the_layout_does(
    browser_as: Callable[[Role], TestClient],
) -> None:
    chief = browser_as(Role.DUTY_CHIEF)
    hall_map = chief.get("/").text
    seat = re.search(r'<li class="seat[^"]*" id="seat-w01-b".*?</li>', hall_map, re.S)
    assert seat and "1号窗口B岗" in shown(seat.group(0)) and "w01-b" not in shown(seat.group(0))
    duty = chief.get("/duty").text  # rule POST-8: the duty chief's check lists the seats
    assert "1号窗口A岗" in shown(duty) and "w01-a" not in shown(duty)
