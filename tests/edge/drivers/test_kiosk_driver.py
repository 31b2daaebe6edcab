"""The kiosk: TicketIssued for the hub to number; ShowTicket shown, and said aloud in Mandarin
(espeak-ng) when the ticket was not printed (DEV-4); the real screen is a browser on a page."""

from __future__ import annotations

import http.server
import shutil
import threading
import time
import wave
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.drivers.kiosk import KioskDriver
from models.commands import DisplayText, ShowTicket, make_command
from models.devices.kiosk import KioskConfig
from models.devices.voice import VoiceConfig
from models.events import TicketIssued
from tests.support.device_context import RecordingContext
from tests.support.waiting import wait_until

CHROMIUM = shutil.which("chromium")
ESPEAK = shutil.which("espeak-ng")


def test_take_emits_ticket_issued() -> None:
    # rule QUEUE-1, QUEUE-2
    ctx = RecordingContext("hall-kiosk")
    k = KioskDriver(ctx, KioskConfig(services=["social", "medical"], speak=False))
    k.start()
    k.take("social")
    k.take("medical", green_channel=True)
    with pytest.raises(ValueError, match="does not offer"):
        k.take("fund")
    k.stop()
    assert ctx.events == [
        TicketIssued(service="social"),
        TicketIssued(service="medical", green_channel=True),
    ]


def test_demo_citizens_take_numbers_by_themselves() -> None:
    ctx = RecordingContext("hall-kiosk")
    cfg = KioskConfig(services=["social"], sim_interval_s=0.01, seed=1, speak=False)
    k = KioskDriver(ctx, cfg)
    k.start()
    deadline = time.monotonic() + 5
    while len(ctx.events) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    k.stop()
    assert len(ctx.events) >= 3
    assert all(isinstance(e, TicketIssued) and e.service == "social" for e in ctx.events)


def show(body: ShowTicket | DisplayText) -> object:
    return make_command(hall="demo", device="hall-kiosk", ts=datetime.now(UTC), body=body)


NOT_PRINTED = ShowTicket(
    ticket="A012",
    service_name="社保业务",
    ahead=3,
    printed=False,
    fault="printer_out_of_paper",
    title="您的号码 A012",
    detail="取号纸已用完，号码未能打印。请记下号码或用手机扫码保存",
    speech="取号纸已用完，您的号码是A012，请记下屏幕上的号码",
    qr="示范政务服务大厅 取号 A012 社保业务 2026-11-23 09:05",
)


@pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed")
def test_a_ticket_not_printed_is_shown_and_said_aloud(tmp_path: Path) -> None:
    # rule DEV-4: the citizen is told where they are, on the screen and aloud
    ctx = RecordingContext("hall-kiosk")
    k = KioskDriver(ctx, KioskConfig(voice=VoiceConfig(out_dir=str(tmp_path))))
    k.start()
    try:
        outcome = k.handle(show(NOT_PRINTED))  # type: ignore[arg-type]
        assert outcome.ok and outcome.detail == "shown A012, spoken"
        assert k.screen == NOT_PRINTED
        assert k.voice is not None
        done = wait_until(lambda: list(k.voice.done) if k.voice else [], what="speech")
        assert done[0].text == NOT_PRINTED.speech
        with wave.open(str(done[0].wav)) as w:
            assert w.getnframes() > w.getframerate()  # more than a second of Mandarin
        printed = NOT_PRINTED.model_copy(update={"printed": True, "fault": None, "speech": None})
        assert k.handle(show(printed)).detail == "shown A012"  # type: ignore[arg-type]
        time.sleep(0.2)
        assert len(k.voice.done) == 1  # a printed ticket is not read out
        refused = k.handle(show(DisplayText(text="x")))  # type: ignore[arg-type]
        assert not refused.ok and "does not take display_text" in refused.detail
    finally:
        k.stop()
    assert ctx.faults == []


def test_a_kiosk_without_espeak_shows_and_reports_the_missing_voice() -> None:
    # rule DEV-4: the screen still tells; the missing speaker is a fault the fleet sees
    ctx = RecordingContext("hall-kiosk")
    k = KioskDriver(ctx, KioskConfig(voice=VoiceConfig(espeak="no-such-espeak")))
    k.start()
    assert ctx.fault_states() == [("kiosk_voice_missing", True)]
    assert k.handle(show(NOT_PRINTED)).detail == "shown A012"  # type: ignore[arg-type]
    k.stop()


@pytest.fixture
def page() -> Iterator[tuple[str, list[str]]]:
    """A local page server that records the paths the browser asks for."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            body = "<html><body>取号</body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/kiosk/demo/hall-kiosk", seen
    server.shutdown()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_the_real_kiosk_keeps_a_browser_on_the_hubs_kiosk_page(
    page: tuple[str, list[str]],
) -> None:
    url, seen = page
    ctx = RecordingContext("hall-kiosk")
    browser = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    k = KioskDriver(ctx, KioskConfig(backend="real", url=url, browser=browser, speak=False))
    k.start()
    try:
        wait_until(lambda: "/kiosk/demo/hall-kiosk" in seen, what="the kiosk page")
        assert k.status() == "ok"
    finally:
        k.stop()
    assert k.browser is None
