"""`hallkeeper bench`: benchmarks that print their figures (one JSON line with --json).

A thin dispatcher: each command imports its `hub.bench.<name>` module only when it runs.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import typer

app = typer.Typer(no_args_is_help=True)


def _emit(result: dict[str, Any], as_json: bool) -> None:
    """Print a benchmark's figures: one JSON line, or one `key: value` per line."""
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    for key, value in result.items():
        typer.echo(f"{key:>16}: {value}")


def _bench(name: str) -> Any:
    """The benchmark module `hub.bench.<name>`, imported lazily."""
    return importlib.import_module(f"hub.bench.{name}")


@app.command()
def ingest(
    devices: int = typer.Option(20, "--devices", "-n", help="Simulated devices publishing."),
    seconds: float = typer.Option(5.0, "--seconds", "-s", help="How long they publish."),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: temp SQLite)."),
    publishers: int = typer.Option(2, help="Publisher processes the devices are spread over."),
    window: int = typer.Option(50, help="Unacknowledged QoS 1 messages per device."),
    batch_size: int = typer.Option(500, help="Ingest: commit every B messages..."),
    batch_ms: float = typer.Option(50.0, help="...or every T milliseconds."),
    writer: str = typer.Option(
        "auto", help="Ingest writer: auto (the hub's default), thread or process."
    ),
    rounds: int = typer.Option(
        3, min=1, help="Rounds; the median one is reported, counts are totals (hosts are noisy)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON line."),
) -> None:
    """Raw paho QoS 1 receive rate vs the hub's ingest rate (stored, acked after commit)."""
    result = _bench("ingest").run_rounds(
        rounds,
        devices=devices,
        seconds=seconds,
        db_url=db,
        publishers=publishers,
        window=window,
        batch_size=batch_size,
        batch_ms=batch_ms,
        writer=writer,
    )
    _emit(result, as_json)


@app.command()
def attendance(
    staff: int = typer.Option(10_000, "--staff", "-n", help="Staff members (a month each)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON line."),
) -> None:
    """A month of punches judged from scratch, and one late punch re-judged (attendance)."""
    _emit(_bench("attendance").run(staff=staff), as_json)


@app.command()
def call(
    calls: int = typer.Option(200, "--calls", "-n", min=200, help="Keypad calls measured."),
    warmup: int = typer.Option(10, help="Calls made first and not measured."),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: temp SQLite)."),
    batch_ms: float = typer.Option(0.0, help="Ingest batch window in milliseconds."),
    outbox_sync: str = typer.Option("full", help="Edge outbox durability: full or normal."),
    writer: str = typer.Option(
        "auto", help="Ingest writer: auto (the hub's default), thread or process."
    ),
    edge_process: bool = typer.Option(
        True,
        "--edge-process/--one-process",
        help="The counter's agent in its own process, as on its Pi (default), or in the hub's.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON line."),
) -> None:
    """Keypad "call next" frame (pty) -> broker -> hub queue -> counter display frame (pty)."""
    _emit(
        _bench("call").run(
            calls=calls,
            warmup=warmup,
            db_url=db,
            batch_ms=batch_ms,
            outbox_sync=outbox_sync,
            writer=writer,
            edge_process=edge_process,
        ),
        as_json,
    )


@app.command()
def face(
    frames: str | None = typer.Option(
        None, "--frames", help="Frame folder (default: ../shared/data/faces/frames)."
    ),
    repeats: int = typer.Option(5, "--repeats", help="Runs per frame (median)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON line."),
) -> None:
    """Face terminal: naive vs terminal pipeline on 720p frames, encoding, 1:N over 50,000."""
    from pathlib import Path

    _emit(_bench("face").run(frames_dir=Path(frames) if frames else None, repeats=repeats), as_json)


@app.command()
def delivery(
    facts: int = typer.Option(1500, "--facts", "-n", help="Facts per throughput round."),
    rounds: int = typer.Option(2, min=1, help="Alternating rounds of each mode (median)."),
    deaths: bool = typer.Option(
        False,
        "--deaths",
        help="Also kill -9 the broker 10 times (persistence off and on) "
        "and cut the database for a minute, checking every fact is stored exactly once.",
    ),
    pg: str | None = typer.Option(
        None,
        "--pg",
        help="PostgreSQL server for --deaths, e.g. postgresql://postgres@127.0.0.1/postgres "
        "(a scratch database is made and dropped per run).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON line."),
) -> None:
    """Hub-acknowledged delivery vs PUBACK removal, outbox size, 8-hour replay (issue 21)."""
    result = _bench("delivery").run(facts=facts, rounds=rounds)
    if deaths:
        if pg is None:
            raise typer.BadParameter(
                "--deaths needs --pg: a PostgreSQL server it may create databases on"
            )
        result.update(_bench("deaths").long_runs(pg, progress=typer.echo))
    _emit(result, as_json)
