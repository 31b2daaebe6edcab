"""`hallkeeper demo`: the demo hall with hub, broker, simulated devices and dashboard."""

from __future__ import annotations

from pathlib import Path

import typer


def app(
    data_dir: Path = typer.Option(
        Path("data/demo"),
        "--data-dir",
        help="Where the demo keeps its database, edge outboxes and broker files.",
    ),
    broker: str | None = typer.Option(
        None,
        "--broker",
        help="Use this broker (mqtt://host:port) instead of the machine's or a private "
        "mosquitto; `embedded` forces hallkeeper's in-memory demo broker (not for production).",
    ),
    port: int = typer.Option(8000, "--port", help="Port of the hub's web interface (0: any)."),
    pace: float = typer.Option(
        1.0,
        "--pace",
        min=0.1,
        max=60.0,
        help="Run the hall's day this many times faster (1: a real hall; 10: a quick look).",
    ),
    quiet: bool = typer.Option(
        False, "--no-scenario", help="Devices only; no simulated citizens and staff."
    ),
) -> None:
    """Start the demo hall; open the printed URL; Ctrl-C stops everything cleanly."""
    from hub.cli.session import words
    from hub.demo.run import DemoProblem, run_demo

    try:
        run_demo(data_dir, broker_url=broker, port=port, scenario=not quiet, pace=pace)
    except DemoProblem as exc:
        typer.echo(f"demo: {words(exc.key, **exc.values)}", err=True)
        raise typer.Exit(1) from None
    except RuntimeError as exc:
        typer.echo(f"demo: {exc}", err=True)
        raise typer.Exit(1) from None
