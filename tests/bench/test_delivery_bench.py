"""`hallkeeper bench delivery` (issue 21 point 7): its figures, measured on real parts.

The default run does a tiny one (the figures exist and are sane); the full one, whose figures
are in docs/benchmarks.md, is behind the bench mark.
"""

from __future__ import annotations

import pytest

from hub.bench import delivery

FIELDS = {
    "acked_facts_s",
    "puback_facts_s",
    "acked_ratio",
    "outbox_mb_50k",
    "outbox_bytes_per_fact",
    "replay_facts",
    "replay_8h_s",
    "replay_puback_s",
    "replay_ratio",
}


def test_bench_delivery_measures_both_modes_in_one_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "OFFLINE_HOURS", 0.05)  # 90 facts replayed
    result = delivery.run(facts=60, rounds=1, size_facts=3_000)
    assert set(result) == FIELDS
    assert result["replay_facts"] == 90
    assert result["acked_facts_s"] > 0 and result["puback_facts_s"] > 0
    assert 100 < result["outbox_bytes_per_fact"] < 2_000  # the facts were really written
    print(result)


@pytest.mark.bench
def test_bench_delivery_full() -> None:
    result = delivery.run()
    print(result)
    # hub-acknowledged delivery costs at most a third of the PUBACK removal's rate, and an
    # 8-hour stretch of a busy device is back on the hub within two minutes
    assert result["acked_ratio"] > 0.66
    assert result["replay_8h_s"] < 120
