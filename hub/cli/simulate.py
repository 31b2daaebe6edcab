"""`hallkeeper simulate`: a compressed working day of many generated halls (fleet simulator)."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

logger = logging.getLogger(__name__)


def app(
    halls: int = typer.Option(20, "--halls", min=1, help="Generated halls."),
    windows: int = typer.Option(4, "--windows", min=1, max=99, help="Windows per hall."),
    speed: float = typer.Option(600.0, "--speed", min=1.0, help="Simulated seconds per second."),
    hours: float = typer.Option(10.0, "--hours", min=0.1, help="Simulate only the first H hours."),
    broker: str | None = typer.Option(
        None, "--broker", help="mqtt://host:port (default: a private mosquitto)."
    ),
    db: str | None = typer.Option(None, "--db", help="Hub database URL (default: temp SQLite)."),
    processes: int = typer.Option(0, "--processes", min=0, help="Device processes (0: auto)."),
    seed: int = typer.Option(1, "--seed", help="Random seed of the day."),
    batch_ms: int = typer.Option(
        1000, "--batch-ms", min=1, max=10_000, help="Hub ingest: commit every T ms..."
    ),
    batch_size: int = typer.Option(
        1000, "--batch-size", min=1, max=10_000, help="...or every B messages."
    ),
    workdir: Path | None = typer.Option(None, "--workdir", help="Keep outboxes/db here."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as one JSON line."),
) -> None:
    """Simulate a working day of many halls through the real edge runtime and hub; summarise."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from hub.simulate.run import SimOptions, SimulationError, simulate
    from hub.simulate.summary import render, to_json

    for name in ("edge", "hub", "models"):  # thousands of devices: keep the console readable
        logging.getLogger(name).setLevel(logging.ERROR)
    opts = SimOptions(
        halls=halls,
        windows=windows,
        speed=speed,
        hours=hours,
        broker=broker,
        db=db,
        processes=processes,
        seed=seed,
        workdir=workdir,
        batch_ms=batch_ms,
        batch_size=batch_size,
    )
    console = Console(stderr=json_out)
    with Progress(
        TextColumn("[bold]{task.fields[phase]}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%  stored {task.fields[stored]}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("day", total=1.0, phase="start", stored=0)

        def on_progress(fraction: float, stored: int, phase: str) -> None:
            progress.update(task, completed=fraction, stored=stored, phase=phase)

        try:
            result = simulate(opts, on_progress)
        except SimulationError as exc:
            console.print(f"[red]simulation failed:[/red] {exc}")
            raise typer.Exit(2) from None
    if json_out:
        typer.echo(to_json(result, opts))
    else:
        render(result, opts, console)
    problems = result.problems()
    for problem in problems:
        console.print(f"[red]not a whole day delivered:[/red] {problem}")
    if problems:
        raise typer.Exit(1)
