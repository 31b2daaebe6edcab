"""`hallkeeper edge ...`: the edge agent's own command line (edge/cli.py, `hallkeeper-edge`)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)

_PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


@app.command(context_settings=_PASS_THROUGH, add_help_option=False)
def run(ctx: typer.Context) -> None:
    """Run every device of one node until SIGTERM or Ctrl-C (`hallkeeper-edge run --help`)."""
    from edge.cli import main

    raise typer.Exit(main(["run", *ctx.args]))
