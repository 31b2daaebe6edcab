"""`hallkeeper edge`: run the edge agent of one node, or only validate its configuration."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from models.layout import Hall

app = typer.Typer(no_args_is_help=True)


@app.command()
def run(
    hall: Path = typer.Option(..., "--hall", help="Hall folder, e.g. firmware_cfg/halls/demo"),
    node: str = typer.Option(..., "--node", help="The node (Pi) to run, e.g. pi-w01"),
    broker: str | None = typer.Option(
        None,
        "--broker",
        help="mqtt://host:port (default: HK_EDGE_BROKER_URL or mqtt://127.0.0.1:1883)",
    ),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Outbox and applied configs"),
    device: list[str] = typer.Option([], "--device", help="Run only this device (repeatable)"),
    heartbeat: float | None = typer.Option(None, "--heartbeat", help="Seconds between beats"),
    validate_config: bool = typer.Option(
        False, "--validate-config", help="Only check settings and device configs; exit 0/1"
    ),
) -> None:
    """Run every device of one node until SIGTERM or Ctrl-C."""
    from pydantic import ValidationError

    from edge.agent import Agent, AgentError
    from edge.settings import AgentSettings
    from models.errors import ContractError, explain
    from models.layout import load_hall

    overrides: dict[str, object] = {}
    for key, value in (("broker_url", broker), ("data_dir", data_dir), ("heartbeat_s", heartbeat)):
        if value is not None:
            overrides[key] = value
    try:
        settings = AgentSettings(**overrides)  # type: ignore[arg-type]
        layout = load_hall(hall)
    except ValidationError as exc:
        typer.echo(f"settings invalid: {explain(exc)}", err=True)
        raise typer.Exit(1) from None
    except ContractError as exc:
        typer.echo(exc.reason, err=True)
        raise typer.Exit(1) from None
    if validate_config:
        raise typer.Exit(_validate(layout, node, device or None))
    try:
        agent = Agent(layout, node, settings, devices=device or None).start()
    except AgentError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    if not agent.runtimes:
        agent.stop()
        typer.echo(f"no device of node {node} could start", err=True)
        raise typer.Exit(1)
    agent.run_until_signal()


def _validate(layout: Hall, node: str, devices: list[str] | None) -> int:
    """Check each device has a driver here (load_hall checked its settings); one line each."""
    from edge.agent import AgentError, select_devices
    from edge.drivers import DRIVER_MODULES

    try:
        selected = select_devices(layout, node, devices)
    except AgentError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 1
    skipped = 0
    for dev in selected:
        if importlib.util.find_spec(DRIVER_MODULES[dev.kind]) is None:
            typer.echo(f"warning: {dev.id}: no driver for {dev.kind!r} here; it would be skipped")
            skipped += 1
        else:
            typer.echo(f"ok: {dev.id} ({dev.kind})")
    typer.echo(
        f"settings ok; {len(selected)} device configs valid, {skipped} without a driver here"
    )
    return 0
