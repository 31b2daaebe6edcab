"""`hallkeeper`: one command for the hub, the edge agent, the demo hall, tools and benchmarks.

Each group lives in its own module (hub/cli/<group>.py, exposing `app`); heavy imports happen
inside commands, so `hallkeeper edge run` never loads the hub's web stack. A Pi has only the
edge install (`hallkeeper[edge]`), whose command is `hallkeeper-edge` (edge/cli.py): there,
`hallkeeper` says so instead of failing on a missing module.
"""

from __future__ import annotations

import importlib
import logging

try:
    import typer
except ModuleNotFoundError as missing:  # the edge install: no Typer, no hub command
    raise SystemExit(
        f"hallkeeper: this is the edge install ({missing.name} is not installed): run the agent "
        "with `hallkeeper-edge run ...`; the hub's command needs pip install 'hallkeeper[hub]'"
    ) from None

GROUPS: list[tuple[str, str]] = [
    ("demo", "Run the demo hall: hub, broker, simulated devices, dashboard."),
    ("hub", "Run the hub: MQTT ingest, API and dashboard; migrate its database."),
    ("edge", "Run an edge agent: the devices of one Pi."),
    ("contract", "The MQTT wire contract: JSON Schema, validation of messages."),
    ("config", "Check hall layouts and device config files."),
    ("staff", "Staff members: enroll faces, remove (erases templates everywhere)."),
    ("face", "Face recognition tools: identify faces in photos."),
    ("attendance", "Attendance: judge punches by policy, reports."),
    ("queue", "Queue: services, tickets, calls."),
    ("complaints", "Complaints and citizens' contacts: the contact key, the month's counts."),
    ("user", "Operator accounts and roles."),
    ("login", "Log in to the running hub: prints a token to export as HK_API_TOKEN."),
    ("simulate", "Fleet simulator: a compressed working day of many halls."),
    ("bench", "Benchmarks that print their figures (JSON with --json)."),
]

app = typer.Typer(
    name="hallkeeper",
    help="hallkeeper: devices and honest records for a government service hall (政务服务大厅).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug detail.")) -> None:
    """Set up logging for every command."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _register() -> None:
    for name, help_text in GROUPS:
        module_name = f"hub.cli.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # this group is not part of this build
            raise
        if isinstance(module.app, typer.Typer):
            app.add_typer(module.app, name=name, help=help_text)
        else:  # a single command
            app.command(name=name, help=help_text)(module.app)


_register()
