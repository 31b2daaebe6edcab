"""`hallkeeper bench face` runs end to end and reports every figure (bench, not default)."""

from __future__ import annotations

import pytest

from hub.bench.face import run


@pytest.mark.bench
def test_face_bench_reports_three_pipelines_decision_time_and_rss() -> None:
    r = run(repeats=1, gallery_size=2000, decisions=1)
    for key in ("naive_ms", "hog_pipeline_ms", "yunet_liveness_pipeline_ms", "encode_ms"):
        assert r[key] > 0
    assert r["punches"] == "1/1" and r["decision_s_liveness"] > r["decision_s_no_liveness"]
    # the whole face-terminal process (agent, MQTT session, outbox, driver) punched the performer
    assert r["agent_punched"] is True and r["agent_frames"] > 0
    assert r["agent_rss_peak_mb"] > r["recognition_rss_peak_mb"] * 0.8
    assert r["recognition_rss_peak_mb"] > 50 and set(r["targets_met"]) == {
        "yunet_pipeline_le_1_2x_encode",
        "match_50k_le_5ms",
        "agent_rss_le_250mb",
    }
