"""`hallkeeper config`: check hall layouts and device config files before they reach a device."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)


def hall_folders(path: Path) -> list[Path]:
    """The hall folders at `path`: itself if it has hall.toml, else its sub-folders that do."""
    if (path / "hall.toml").is_file() or not path.is_dir():
        return [path]
    found = sorted(p.parent for p in path.glob("*/hall.toml"))
    return found or [path]


def check_hall(folder: Path) -> tuple[list[str], str]:
    """Validate one hall folder and every device's settings (models/devices/); (errors, summary)."""
    from models.errors import ContractError
    from models.layout import LayoutError, load_hall

    try:
        hall = load_hall(folder)
    except LayoutError as exc:
        return exc.problems, ""
    except ContractError as exc:
        return [f"{folder}: {exc.reason}"], ""
    summary = (
        f"hall {hall.id} ({hall.name}): {len(hall.windows)} windows, "
        f"{len(hall.devices)} devices, opening {hall.opening_time}, "
        f"check {hall.opening_check_minutes} min before (rule DEV-1)"
    )
    return [], summary


@app.command()
def validate(
    paths: list[Path] = typer.Argument(..., help="Hall folders, or a folder of halls."),
) -> None:
    """Check hall layouts and every device's settings; print ok or each error, exit 1 on error."""
    failed = False
    for path in paths:
        for folder in hall_folders(path):
            errors, summary = check_hall(folder)
            if errors:
                failed = True
                for err in errors:
                    typer.echo(f"error: {err}", err=True)
            else:
                typer.echo(f"ok: {summary}")
    if failed:
        raise typer.Exit(1)
