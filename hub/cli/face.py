"""`hallkeeper face identify`: who is in these photos, with the terminal's own matcher."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(no_args_is_help=True)

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}


def _gallery(folder: Path) -> dict[str, list[Any]]:
    """Encode DIR/<staff_id>/<photos>: one template per photo showing exactly one face."""
    from edge.face.encode import faces_in_image, load_rgb

    templates: dict[str, list[Any]] = {}
    for person in sorted(p for p in folder.iterdir() if p.is_dir()):
        for photo in sorted(person.iterdir()):
            if photo.suffix.lower() not in PHOTO_SUFFIXES:
                continue
            faces = faces_in_image(load_rgb(str(photo)))
            if len(faces) != 1:
                typer.echo(
                    f"warning: {photo}: {len(faces)} faces, skipped (need exactly one)", err=True
                )
                continue
            templates.setdefault(person.name, []).append(faces[0].encoding)
    return templates


def identify_images(gallery: Path, images: list[Path]) -> list[dict[str, Any]]:
    """For every face in every image: staff id (None if unknown), distance and box."""
    from edge.face.encode import faces_in_image, load_rgb
    from edge.face.matcher import Matcher, limit_blas_threads

    limit_blas_threads()
    matcher = Matcher(_gallery(gallery))
    if matcher.people == 0:
        raise ValueError(f"{gallery}: no usable photos (one folder per staff id expected)")
    out = []
    for image in images:
        faces = []
        for face in faces_in_image(load_rgb(str(image))):
            m = matcher.match(face.encoding)
            faces.append(
                {
                    "staff_id": m.staff_id,
                    "distance": round(float(m.distance or 0), 4),
                    "box": [int(v) for v in face.box],
                }
            )
        out.append({"image": str(image), "faces": faces})
    return out


@app.command()
def identify(
    images: list[Path] = typer.Argument(..., help="Photos to identify faces in."),
    gallery: Path = typer.Option(
        ...,
        "--gallery",
        help="DIR with one folder of photos per staff id.",
        exists=True,
        file_okay=False,
        dir_okay=True,
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
) -> None:
    """Print, for every face in every image, the staff id (or unknown) and the distance."""
    for image in images:
        if not image.is_file():
            typer.echo(f"error: {image}: no such file", err=True)
            raise typer.Exit(2)
    try:
        result = identify_images(gallery, images)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        json.dump(result, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    for item in result:
        if not item["faces"]:
            typer.echo(f"{item['image']}: no face")
        for face in item["faces"]:
            who = face["staff_id"] or "unknown"
            typer.echo(f"{item['image']}: {who} distance={face['distance']:.3f} box={face['box']}")


FACES_OPTION = typer.Option(
    Path(__file__).resolve().parents[3] / "shared" / "data" / "faces",
    "--faces",
    help="The face data folder (gallery/, probe/, frames/).",
    exists=True,
    file_okay=False,
)


@app.command()
def liveness(
    faces: Path = FACES_OPTION,
    genuine: int = typer.Option(4, "--genuine", min=0, help="Genuine trials per person."),
    replays: int = typer.Option(2, "--replays", min=0, help="Replay attacks of each kind."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Play genuine and attack clips (synthetic, from the photos) through the terminal's
    pipeline: attack rejection and genuine acceptance rates, time to decision."""
    import dataclasses

    from rich.progress import Progress

    from edge.face.matcher import limit_blas_threads
    from edge.face.trials import SUBJECTS, run_trials

    limit_blas_threads()
    templates = _gallery(faces / "gallery")
    with Progress(transient=True) as progress:
        task = progress.add_task("clips", total=len(SUBJECTS))
        summary = run_trials(
            faces,
            templates,
            genuine=genuine,
            replays=replays,
            progress=lambda _: progress.advance(task),
        )
    rates = summary.rates()
    if as_json:
        out = {"rates": rates, "trials": [dataclasses.asdict(o) for o in summary.outcomes]}
        json.dump(out, sys.stdout, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
        return
    for o in summary.outcomes:
        score = "-" if o.real_score is None else f"{o.real_score:.2f}"
        typer.echo(
            f"{o.subject:16} {o.kind:13} asked={','.join(o.asked) or '-':24} "
            f"punched={o.punched or '-':16} refused={o.refused or '-':13} "
            f"real={score} decision_s={o.decision_s if o.decision_s is not None else '-'}"
        )
    for k, v in rates.items():
        typer.echo(f"{k}: {v}")
    typer.echo(
        "note: every clip is synthetic (a warp of a still photo, a simulated print or phone "
        "screen), not a camera recording; see docs/face.md"
    )
