"""`hallkeeper staff`: enroll faces, remove a staff member (erasure everywhere), list, keys."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from hub.staff.gallery_sync import GallerySync

app = typer.Typer(no_args_is_help=True)

DB_OPTION = typer.Option(
    None, "--db", help="Database URL (default $HK_DATABASE_URL or sqlite:///data/hallkeeper.db)."
)
HALL_DIR_OPTION = typer.Option(
    Path("firmware_cfg/halls/demo"), "--hall-dir", help="The hall folder (hall.toml + devices/)."
)
BROKER_OPTION = typer.Option(
    None,
    "--broker",
    help="Send the new gallery to the terminals "
    "through this broker (mqtt://host:port); default $HK_BROKER_URL.",
)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg="red")
    return typer.Exit(1)


def _sync(db: str | None, hall_dir: Path, broker: str | None, need_key: bool = True) -> GallerySync:
    from hub.db import make_engine, migrate
    from hub.staff.crypto import FaceKeyError, master_key
    from hub.staff.gallery_sync import GallerySync
    from models.errors import ContractError
    from models.layout import load_hall

    try:
        hall = load_hall(hall_dir)
    except ContractError as exc:
        raise _fail(str(exc)) from None
    key = None
    try:
        key = master_key()
    except FaceKeyError as exc:
        if need_key:
            raise _fail(str(exc)) from None
    engine = make_engine(db or os.environ.get("HK_DATABASE_URL", "sqlite:///data/hallkeeper.db"))
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    migrate(engine)
    sender = None
    broker = broker or os.environ.get("HK_BROKER_URL")
    if broker:
        from hub.mqtt_out import MqttCommandSender

        sender = MqttCommandSender(broker, client_id=f"hk-staff-cli-{os.getpid()}")
        try:
            sender.start()
        except Exception as exc:  # the CLI reports any broker problem in words
            raise _fail(f"cannot reach the broker {broker}: {exc}") from None
    return GallerySync(engine, key, [hall], sender)


def _close(sync: GallerySync) -> None:
    stop = getattr(sync.sender, "stop", None)
    if stop is not None:
        stop()
    if sync.keys is not None:
        sync.keys.close()
    sync.engine.dispose()


@app.command()
def enroll(
    photos: list[Path] = typer.Argument(..., help="Face photos of the staff member."),
    staff: str = typer.Option(..., "--staff", help="Staff id (工号)."),
    name: str = typer.Option(..., "--name", help="Name shown on the terminal."),
    unit: str = typer.Option("", "--unit", help="Sending unit."),
    window: str | None = typer.Option(None, "--window", help="Window id."),
    keep_photos: bool = typer.Option(
        False,
        "--keep-photos",
        help="Also keep the photos, encrypted (off by default, rule PRIV-1).",
    ),
    db: str | None = DB_OPTION,
    hall_dir: Path = HALL_DIR_OPTION,
    broker: str | None = BROKER_OPTION,
) -> None:
    """Check each photo, store encrypted templates, build and send the hall's new gallery."""
    from rich.progress import Progress

    from hub.cli.session import words
    from hub.staff.enroll import EnrollmentRefused, hall_of
    from hub.staff.enroll import enroll as do_enroll

    data = []
    for photo in photos:
        try:
            data.append((str(photo), photo.read_bytes()))
        except OSError as exc:
            raise _fail(f"{photo}: {exc.strerror}") from None
    sync = _sync(db, hall_dir, broker)
    try:
        (hall,) = sync.halls
        old_hall = hall_of(sync.engine, staff)
        with Progress(transient=True) as progress:
            task = progress.add_task("checking photos", total=len(data))
            try:
                result = do_enroll(
                    sync.engine,
                    keys=sync.key_store(),
                    staff_id=staff,
                    name=name,
                    hall=hall,
                    photos=data,
                    unit=unit,
                    window=window,
                    keep_photos=keep_photos,
                    progress=lambda label: progress.advance(task),
                )
            except EnrollmentRefused as exc:
                progress.stop()
                typer.secho(words("staff.enroll_refused.why"), err=True, fg="red")
                for p in exc.problems:  # each photo's reason in the catalogue's words
                    typer.secho(f"  {p.photo}: {words('photo.' + p.code)}", err=True, fg="red")
                typer.secho(words("staff.enroll_refused.todo"), err=True)
                raise typer.Exit(1) from None
        gallery = sync.publish(hall)
        if old_hall is not None and old_hall != hall:
            sync.moved(staff, old_hall)  # rule PRIV-1: the old hall's copies are erased
            typer.echo(f"{staff} left hall {old_hall}: its terminals are asked to erase them")
        sent = len(sync.terminals(hall)) if sync.sender else 0
        typer.echo(
            f"enrolled {result.staff_id} ({name}): {result.templates} template(s), "
            f"photos {'kept (encrypted)' if result.photos_kept else 'not kept'}; "
            f"gallery of {hall} is now version {gallery.version}, sent to {sent} "
            "terminal(s)"
        )
    finally:
        _close(sync)


@app.command()
def remove(
    staff: str = typer.Option(..., "--staff", help="Staff id to remove."),
    db: str | None = DB_OPTION,
    hall_dir: Path = HALL_DIR_OPTION,
    broker: str | None = BROKER_OPTION,
) -> None:
    """Erase a staff member's face templates on the hub and on every terminal (PRIV-1)."""
    from hub.cli.session import words
    from hub.problems import Problem
    from hub.staff.leaving import leave_hall

    sync = _sync(db, hall_dir, broker)
    try:
        try:
            removed = leave_hall(sync, staff)  # last day today; refused when left already
        except Problem as exc:  # worded from the catalogue ($HK_LANG)
            raise _fail(f"{staff}: {words(exc.key, **exc.values)}") from None
        typer.echo(
            f"removed {staff}: {removed.templates_erased} template(s) erased on the "
            f"hub; erasure asked of {len(removed.terminals)} terminal(s) "
            f"({'sent' if sync.sender else 'sent by the hub when they next report'}); "
            f"gallery version {removed.gallery_version}"
        )
    finally:
        _close(sync)


@app.command("list")
def list_staff(db: str | None = DB_OPTION, hall_dir: Path = HALL_DIR_OPTION) -> None:
    """List staff members and their templates."""
    from sqlmodel import Session, func, select

    from hub.staff.tables import FaceTemplate, Staff

    sync = _sync(db, hall_dir, None, need_key=False)
    try:
        with Session(sync.engine) as s:
            counts = dict(
                s.exec(
                    select(FaceTemplate.staff_id, func.count()).group_by(FaceTemplate.staff_id)
                ).all()
            )
            rows = s.exec(select(Staff).order_by(Staff.staff_id)).all()
            if not rows:
                typer.echo("no staff enrolled")
            for m in rows:
                typer.echo(
                    f"{m.staff_id}\t{m.name}\t{m.hall}\t"
                    f"{'active' if m.active else 'removed'}\t"
                    f"{counts.get(m.staff_id, 0)} template(s)"
                )
    finally:
        _close(sync)


@app.command("hall-key")
def hall_key_cmd(hall: str = typer.Option(..., "--hall", help="Hall id.")) -> None:
    """Print the hall's gallery key (derived from HK_FACE_KEY) to provision its terminals."""
    from hub.staff.crypto import FaceKeyError, hall_key, master_key

    try:
        typer.echo(hall_key(master_key(), hall).decode())
    except FaceKeyError as exc:
        raise _fail(str(exc)) from None


@app.command("enroll-at")
def enroll_at(
    staff: str = typer.Option(..., "--staff", help="Staff id (工号)."),
    name: str = typer.Option(..., "--name", help="Name shown on the terminal."),
    device: str = typer.Option(..., "--device", help="The face terminal the person stands at."),
    unit: str = typer.Option("", "--unit", help="Sending unit."),
    window: str | None = typer.Option(None, "--window", help="Window id."),
    db: str | None = DB_OPTION,
    hall_dir: Path = HALL_DIR_OPTION,
    broker: str | None = BROKER_OPTION,
) -> None:
    """Enroll at a terminal: a one-time token goes to it; it sends templates, never a photo."""
    from hub.cli.session import words
    from hub.staff.terminal_enroll import EnrollmentRefused, TerminalEnrollment

    sync = _sync(db, hall_dir, broker)
    try:
        if sync.sender is None:
            raise _fail(
                "enrollment at a terminal needs the broker: give --broker or $HK_BROKER_URL"
            )
        (hall,) = sync.halls
        try:
            started = TerminalEnrollment(sync).start(
                staff_id=staff, name=name, device=device, hall=hall, unit=unit, window=window
            )
        except EnrollmentRefused as exc:
            raise _fail(words(exc.key, **exc.values)) from None  # from the catalogue ($HK_LANG)
        typer.echo(
            f"enrollment {started['enrollment_id']} of {staff} sent to {device}; the person "
            f"looks at its camera until it says 人脸采集完成 (token valid until "
            f"{started['expires_at']:%H:%M} UTC)"
        )
    finally:
        _close(sync)
