"""Smoke test of `hallkeeper bench ingest`: a tiny run prints the JSON figures, nothing lost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hub.bench import ingest as bench_ingest

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {"raw_rate", "ingest_rate", "ratio", "sent", "stored", "lost", "duplicates"}


def test_bench_ingest_prints_json_and_loses_nothing() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from hub.cli.main import app; app()",
            "bench",
            "ingest",
            "--devices",
            "2",
            "--publishers",
            "1",
            "--seconds",
            "0.5",
            "--rounds",
            "2",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    line = out.stdout.strip().splitlines()[-1]
    result = json.loads(line)
    assert result.keys() >= FIELDS
    assert result["sent"] > 0 and result["raw_received"] == result["raw_sent"]
    assert result["lost"] == 0
    assert result["stored"] == result["sent"] == result["rows"]
    assert result["raw_rate_to_last"] > 0 and result["ingest_rate_to_last"] > 0
    assert result["raw_rate"] >= 0 and result["ingest_rate"] >= 0  # 0.5 s windows: may be 0
    assert result["rounds"] == 2 and result["ratio"] in result["round_ratios"]


def test_rounds_report_the_median_round_and_total_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    def one_round(ratio: float, sent: int) -> dict[str, Any]:
        counts = dict.fromkeys(bench_ingest.COUNT_FIELDS, 0)
        counts |= {"sent": sent, "stored": sent, "rows": sent}
        return counts | {
            "raw_rate": 1000.0,
            "ingest_rate": 1000.0 * ratio,
            "ratio": ratio,
            "drain_ratio": ratio,
            "max_lag_ms": 10.0 * sent,
        }

    rounds = iter([one_round(0.9, 1), one_round(0.6, 2), one_round(0.8, 3)])
    monkeypatch.setattr(bench_ingest, "run", lambda **_: next(rounds))
    report = bench_ingest.run_rounds(3)
    assert report["ratio"] == 0.8 and report["ingest_rate"] == 800.0  # the median round's
    assert report["round_ratios"] == [0.9, 0.6, 0.8]
    assert report["sent"] == report["stored"] == 6  # counts add up every round
    assert report["max_lag_ms"] == 30.0
