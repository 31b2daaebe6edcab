"""Chinese renders as glyphs, not empty boxes (point 18.7): the dashboard and the hall screen in
headless Chromium with the machine's fonts (scripts/setup.sh and deploy/pi/provision.sh install
Noto CJK); and the probe itself sees tofu when fontconfig offers no CJK font."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.support.auth import full_app
from tests.support.glyphs import assert_chinese_renders, glyph_report, renders_chinese
from tests.support.serve import serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine"),
]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def test_the_dashboard_and_the_hall_screen_draw_chinese_glyphs(sqlite_engine: Engine) -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(full_app(sqlite_engine)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(locale="zh-CN")
            page.goto(f"{url}/login")
            assert "登录" in page.content()
            assert_chinese_renders(page, "h1")
            page.screenshot(path=str(SHOTS / "cjk-login.png"))
            page.goto(f"{url}/api/queue/hall")
            assert_chinese_renders(page)
            page.screenshot(path=str(SHOTS / "cjk-hall-screen.png"))
        finally:
            browser.close()


def test_the_probe_sees_tofu_when_no_cjk_font_is_offered(tmp_path: Path) -> None:
    """A fresh machine: fontconfig knows only DejaVu (no CJK); the check must fail there."""
    from playwright.sync_api import sync_playwright

    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    if not dejavu.is_dir():
        pytest.skip("no DejaVu fonts to stand for a machine without CJK")
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>{dejavu}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox"],
            env={"FONTCONFIG_FILE": str(conf), "HOME": str(tmp_path)},
        )
        try:
            page = browser.new_page()
            page.set_content("<h1 style='font-family: sans-serif'>未打卡</h1>")
            report = glyph_report(page, selector="h1")
        finally:
            browser.close()
    assert not renders_chinese(report), report
    assert {g["sig"] for g in report["glyphs"]} <= {report["notdef"]["sig"]} or all(
        g["ink"] <= 20 for g in report["glyphs"]
    ), report
