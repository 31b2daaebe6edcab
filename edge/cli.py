"""`hallkeeper-edge`: the edge agent's one entry point (what a Pi runs; it imports nothing of hub).

    hallkeeper-edge run --hall /etc/hallkeeper/hall --node pi-w01 [--validate-config]

Settings also come from HK_EDGE_* variables (edge/settings.py). `hallkeeper edge ...` of the
full install runs this same code.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pydantic import ValidationError

from edge.agent import Agent, AgentError, select_devices
from edge.drivers import driver_class
from edge.settings import AgentSettings
from models.errors import ContractError, explain
from models.layout import Hall, load_hall

logger = logging.getLogger(__name__)


def parser() -> argparse.ArgumentParser:
    """The command line of `hallkeeper-edge`."""
    top = argparse.ArgumentParser(
        prog="hallkeeper-edge",
        description="The hallkeeper edge agent: runs the devices of one Pi.",
    )
    top.add_argument("-v", "--verbose", action="store_true", help="Log debug detail.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="Run every device of one node until SIGTERM or Ctrl-C.",
        description="Run every device of one node until SIGTERM or Ctrl-C.",
    )
    run.add_argument(
        "--hall", type=Path, required=True, help="Hall folder, e.g. firmware_cfg/halls/demo"
    )
    run.add_argument("--node", required=True, help="The node (Pi) to run, e.g. pi-w01")
    run.add_argument(
        "--broker", help="mqtt://host:port (default: HK_EDGE_BROKER_URL or mqtt://127.0.0.1:1883)"
    )
    run.add_argument("--data-dir", type=Path, help="Outbox and applied configs")
    run.add_argument(
        "--device", action="append", default=[], help="Run only this device (repeatable)"
    )
    run.add_argument("--heartbeat", type=float, help="Seconds between beats")
    run.add_argument(
        "--validate-config",
        action="store_true",
        help="Only check settings and device configs; exit 0/1",
    )
    return top


def main(argv: list[str] | None = None) -> int:
    """Run the command line; the process exit status."""
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return run(args)


def run(args: argparse.Namespace) -> int:
    """`run`: start the node's agent (or only check its configuration)."""
    overrides: dict[str, object] = {}
    for key, value in (
        ("broker_url", args.broker),
        ("data_dir", args.data_dir),
        ("heartbeat_s", args.heartbeat),
    ):
        if value is not None:
            overrides[key] = value
    try:
        settings = AgentSettings(**overrides)  # type: ignore[arg-type]
        layout = load_hall(args.hall)
    except ValidationError as exc:
        _say(f"settings invalid: {explain(exc)}", err=True)
        return 1
    except ContractError as exc:
        _say(exc.reason, err=True)
        return 1
    devices = args.device or None
    if args.validate_config:
        return validate(layout, args.node, devices)
    try:
        agent = Agent(layout, args.node, settings, devices=devices).start()
    except AgentError as exc:
        _say(str(exc), err=True)
        return 1
    if not agent.runtimes:
        agent.stop()
        _say(f"no device of node {args.node} could start", err=True)
        return 1
    agent.run_until_signal()
    return 0


def validate(layout: Hall, node: str, devices: list[str] | None) -> int:
    """Check each device's driver loads here (load_hall checked its settings); one line each."""
    try:
        selected = select_devices(layout, node, devices)
    except AgentError as exc:
        _say(f"error: {exc}", err=True)
        return 1
    skipped = 0
    for dev in selected:
        try:
            driver_class(dev.kind)
        except (ValueError, ImportError) as exc:  # e.g. a face terminal without hallkeeper[face]
            _say(f"warning: {dev.id}: its driver cannot load here ({exc}); it would be skipped")
            skipped += 1
        else:
            _say(f"ok: {dev.id} ({dev.kind})")
    _say(f"settings ok; {len(selected)} device configs valid, {skipped} without a driver here")
    return 0


def _say(text: str, *, err: bool = False) -> None:
    """One line for the operator (stdout, or stderr for errors)."""
    print(text, file=sys.stderr if err else sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
