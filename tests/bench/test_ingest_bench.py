"""Smoke test of `hallkeeper bench ingest`: a tiny run prints the JSON figures, nothing lost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    assert result["raw_rate"] > 0 and result["ingest_rate"] > 0
