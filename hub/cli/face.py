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
    from edge.face.trials import SUBJECTS, run_trials, score_table

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
    scores = score_table(summary.outcomes)
    if as_json:
        out = {
            "rates": rates,
            "scores": scores,
            "trials": [dataclasses.asdict(o) for o in summary.outcomes],
        }
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
    typer.echo("MiniFASNet score (P(real)) by clip kind, per track (judged) and per frame:")
    for kind, spreads in scores.items():
        for level, sp in spreads.items():
            figures = "  ".join(f"{k} {v}" for k, v in sp.items())
            typer.echo(f"  {kind:13} {level:5}  {figures}")
    typer.echo(
        "note: every clip is synthetic (a warp of a still photo, a simulated print or phone "
        "screen), not a camera recording; see docs/face.md"
    )


@app.command()
def evaluate(
    faces: Path = FACES_OPTION,
    threshold: float | None = typer.Option(
        None, "--threshold", help="Distance threshold to judge (default: the terminal's)."
    ),
    margin: float | None = typer.Option(
        None, "--margin", help="Second-best margin to judge (default: the terminal's)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Genuine/impostor distance table over every real face, FAR/FRR per threshold, 1:N with
    one or all templates per person, strangers, and the k-of-n vote."""
    from edge.face.encode import faces_in_image, load_rgb
    from edge.face.evaluate import evaluate as run_evaluation
    from edge.face.evaluate import labelled_faces
    from edge.face.matcher import DEFAULT_MARGIN, DEFAULT_THRESHOLD

    def encode(path: Path) -> list[Any]:
        return sorted(faces_in_image(load_rgb(str(path))), key=lambda f: f.box[3])

    try:
        labelled = labelled_faces(faces, encode)
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    r = run_evaluation(
        labelled,
        threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
        margin=DEFAULT_MARGIN if margin is None else margin,
    )
    if as_json:
        json.dump(r, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    p = r["pairs"]
    typer.echo(
        f"{r['faces']} faces of {r['people']} people (+ strangers): {p['genuine']} genuine "
        f"pairs, {p['impostor']} impostor pairs, {p['same_photo']} same-photo pairs left out"
    )
    for kind in ("genuine", "impostor"):
        s = r[kind]
        typer.echo(
            f"  {kind:9} distance  min {s['min']}  p05 {s.get('p05')}  median {s['median']}  "
            f"p95 {s.get('p95')}  max {s['max']}"
        )
    typer.echo("  threshold    FAR (one comparison)    FRR (one comparison)")
    for row in r["rates"]:
        mark = "  <- chosen" if row["threshold"] == r["threshold"] else ""
        typer.echo(f"  {row['threshold']:9.2f}    {row['far']:20.4f}    {row['frr']:20.4f}{mark}")
    typer.echo(f"closest impostors: {r['closest_impostors'][:3]}")
    typer.echo(f"farthest genuine:  {r['farthest_genuine'][:3]}")
    typer.echo(
        f"1:N at {r['threshold']} / margin {r['margin']}, leave-one-photo-out: "
        f"all templates {r['identify_multi_template']}, "
        f"one template {r['identify_single_template']}; strangers {r['strangers']}"
    )
    v = r["vote"]
    typer.echo(
        f"vote {v['k']}-of-{v['n']}: per-frame accept {v['frame_accept']}, false accept "
        f"{v['frame_false_accept']} -> vote accept {v['vote_accept']}, false accept "
        f"{v['vote_false_accept_if_independent']} (if frames were independent; they are not)"
    )
