"""`hallkeeper contract`: the wire contract's JSON Schema and a message checker."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)


@app.command()
def schema(
    out: Path | None = typer.Option(None, "--out", "-o", help="Write to this file."),
) -> None:
    """Print the JSON Schema of every message of contract v1."""
    from models.schema import contract_schema

    text = json.dumps(contract_schema(), ensure_ascii=False, indent=2)
    if out:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {out}")
    else:
        typer.echo(text)


@app.command()
def check(
    file: Path = typer.Argument(..., help="A JSON message, or - for standard input."),
    topic: str | None = typer.Option(
        None, help="The topic it came on, e.g. hk/v1/demo/w01-face/evt"
    ),
) -> None:
    """Validate one event envelope; print why it would be refused."""
    from models.envelope import parse_envelope
    from models.errors import ContractError
    from models.topics import parse_topic

    payload = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    try:
        env = parse_envelope(payload, parse_topic(topic) if topic else None)
    except ContractError as exc:
        typer.echo(f"refused: {exc.reason}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"ok: {env.type.value} from {env.hall}/{env.device} seq {env.seq}")
