"""Smoke test of `hallkeeper bench call`: 200 keypad calls end to end print the JSON figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_bench_call_prints_its_figures() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "from hub.cli.main import app; app()", "bench", "call", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["calls"] == 200
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
    # the last of 210 calls (10 warm-up) showed the last ticket on the counter display
    assert result["last_display"] == "B210 请到3号窗口"
