"""`hallkeeper queue`: take, act and state through a running API; stats from the database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from hub.cli.queue import app
from hub.commands import RecordingSender
from hub.queue.service import QueueProjector

DEMO = Path(__file__).resolve().parents[3] / "firmware_cfg" / "halls" / "demo"


def test_take_act_state_and_stats(
    api: tuple[str, QueueProjector, RecordingSender], sqlite_engine: Engine
) -> None:
    url, projector, _ = api
    run = CliRunner().invoke
    r = run(app, ["take", "fund", "--green", "--api", url])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("D001  前面 0 人")
    r = run(app, ["act", "w07", "next", "--staff", "s07", "--api", url])
    assert r.exit_code == 0 and "called       D001" in r.output
    r = run(app, ["act", "w07", "recall", "--api", url])
    assert r.exit_code == 0
    r = run(app, ["act", "w07", "park", "--api", url])
    assert "parked" in r.output
    r = run(app, ["act", "w07", "call", "--ticket", "D001", "--api", url])
    assert "called       D001" in r.output
    run(app, ["act", "w07", "finish", "--api", url])
    r = run(app, ["act", "w07", "skip", "--api", url])
    assert r.exit_code == 1 and "（409）" in r.output  # refused, in words
    r = run(app, ["state", "--api", url])
    assert "公积金" in r.output and " 7号窗口  -" in r.output
    db = str(sqlite_engine.url)
    r = run(
        app,
        [
            "stats",
            "--db",
            db,
            "--hall",
            str(DEMO),
            "--start",
            projector.queue.day.isoformat() if projector.queue.day else "",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "staff   s07" in r.output and "served    1" in r.output


def test_say_writes_a_wav(tmp_path: Path) -> None:
    out = tmp_path / "a.wav"
    r = CliRunner().invoke(app, ["say", "请B003号到4号窗口办理", "--out", str(out)])
    assert r.exit_code == 0 and out.stat().st_size > 10_000
    assert "B零零三" in r.output
