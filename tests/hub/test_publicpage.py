"""The parts of a page citizens reach without a login: the rate limit and the QR code."""

from __future__ import annotations

import cv2
import numpy as np

from hub.publicpage import RateLimiter, qr_svg


def test_rate_limit_is_a_sliding_window_per_key() -> None:
    now = {"t": 0.0}
    limiter = RateLimiter(limit=3, window_s=60.0, clock=lambda: now["t"])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # another client is not slowed by the first
    now["t"] = 59.0
    assert not limiter.allow("a")  # refused hits are not counted, the window still holds 3
    now["t"] = 60.5
    assert limiter.allow("a")


def test_qr_code_holds_the_text_in_chinese() -> None:
    svg = qr_svg("示范政务服务大厅 取号 A012 社保业务")
    assert svg.startswith("<svg") and "<script" not in svg
    # render the SVG's modules to a bitmap and read it back as a phone would
    import re

    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))  # type: ignore[union-attr]
    img = np.full((size, size), 255, np.uint8)
    for x, y in re.findall(r"M(\d+),(\d+)H", svg):
        img[int(y), int(x)] = 0
    big = cv2.resize(img, (size * 8, size * 8), interpolation=cv2.INTER_NEAREST)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(big)
    assert text == "示范政务服务大厅 取号 A012 社保业务"
