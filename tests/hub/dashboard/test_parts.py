"""The dashboard's pure parts: message catalogue, language choice, SVG charts, live feed."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

from hub.dashboard.charts import bar_chart
from hub.dashboard.i18n import CATALOGUE, ROLE_NAMES, choose_lang, translator
from hub.dashboard.live import LiveFeed, changes
from hub.ingest.hooks import DeviceState, IngestBatch
from hub.users.accounts import Role


def test_catalogue_complete_in_both_languages() -> None:
    assert CATALOGUE["zh-CN"].keys() == CATALOGUE["en"].keys()
    assert all(CATALOGUE["zh-CN"].values()) and all(CATALOGUE["en"].values())
    for lang in ("zh-CN", "en"):
        assert set(ROLE_NAMES[lang]) == {r.value for r in Role}
    assert translator("zh-CN")("away") == "离岗" and translator("en")("away") == "Away"
    assert translator("en")("no-such-key") == "no-such-key"
    assert ROLE_NAMES["zh-CN"]["supervisor"] == "督查考核科"


def test_choose_lang() -> None:
    assert choose_lang(None, None) == "zh-CN"
    assert choose_lang("en", None) == "en"
    assert choose_lang(None, "en") == "en"
    assert choose_lang("zh", "en") == "zh-CN"
    assert choose_lang("fr", None) == "zh-CN"


def test_bar_chart_scales_bars_to_the_largest() -> None:
    svg = bar_chart([("迟到", 2), ("缺卡", 4), ("<b>", 0)], title="状态")
    widths = [float(w) for w in __import__("re").findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths[1] == max(widths) and abs(widths[0] * 2 - widths[1]) < 0.2 and widths[2] == 0
    assert svg.startswith("<svg") and "&lt;b&gt;" in svg and "<b>" not in svg
    assert "<rect" not in bar_chart([])


def test_live_feed_reaches_a_listener_of_that_hall_only() -> None:
    feed = LiveFeed()
    got: list[dict[str, str]] = []

    async def listen() -> None:
        async def never() -> bool:
            return False

        stream = changes([feed.broadcaster], "demo", never, settle_s=0.01, idle_s=0.05)
        got.append(await stream.__anext__())  # hello

        def publish() -> None:
            feed.project(None, IngestBatch())  # type: ignore[arg-type]
            feed.notify(["other-hall"])
            state = DeviceState("demo", "w01-led", False, datetime.now(UTC))
            feed.project(None, IngestBatch(states=[state]))  # type: ignore[arg-type]

        threading.Thread(target=publish).start()
        got.append(await asyncio.wait_for(stream.__anext__(), timeout=10))
        await stream.aclose()

    asyncio.run(listen())
    assert [m["event"] for m in got] == ["hello", "hallmap"]
    assert feed.broadcaster.listeners() == 0
