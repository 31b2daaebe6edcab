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


def device_setting_errors(kind: str, settings: dict[str, object]) -> tuple[list[str], bool]:
    """Errors of a device's settings by its driver's config model; (errors, checked)."""
    from pydantic import ValidationError

    from edge.drivers import driver_class
    from models.errors import explain

    try:
        config_model = driver_class(kind).Config
    except (ValueError, ImportError):
        return [], False  # no driver of this kind can load here: settings not checked
    try:
        config_model.model_validate(settings)
    except ValidationError as exc:
        return [explain(exc)], True
    return [], True


def check_hall(folder: Path) -> tuple[list[str], list[str], str]:
    """Validate one hall folder; return (errors, notes, summary)."""
    from models.errors import ContractError
    from models.layout import load_hall

    try:
        hall = load_hall(folder)
    except ContractError as exc:
        return [f"{folder}: {exc.reason}"], [], ""
    errors: list[str] = []
    unchecked: set[str] = set()
    for dev in hall.devices:
        problems, checked = device_setting_errors(dev.kind, dev.settings)
        if not checked:
            unchecked.add(dev.kind)
        errors.extend(f"{folder}/devices/{dev.id}.toml: settings: {p}" for p in problems)
    notes = [
        f"no driver loadable for {k}: its settings were not checked" for k in sorted(unchecked)
    ]
    summary = (
        f"hall {hall.id} ({hall.name}): {len(hall.windows)} windows, "
        f"{len(hall.devices)} devices, opening {hall.opening_time}, "
        f"check {hall.opening_check_minutes} min before (rule DEV-1)"
    )
    return errors, notes, summary


@app.command()
def validate(
    paths: list[Path] = typer.Argument(..., help="Hall folders, or a folder of halls."),
) -> None:
    """Check hall layouts and every device's settings; print ok or each error, exit 1 on error."""
    failed = False
    for path in paths:
        for folder in hall_folders(path):
            errors, notes, summary = check_hall(folder)
            for note in notes:
                typer.echo(f"note: {note}")
            if errors:
                failed = True
                for err in errors:
                    typer.echo(f"error: {err}", err=True)
            else:
                typer.echo(f"ok: {summary}")
    if failed:
        raise typer.Exit(1)
