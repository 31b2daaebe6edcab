"""`hallkeeper hub`: run the hub, migrate its database, run extra ingest workers, push config."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(no_args_is_help=True)
logger = logging.getLogger(__name__)

HALL_HELP = "A hall folder (hall.toml + devices/); repeat for several halls."


def _settings(*, secrets: bool = True, **overrides: Any) -> Any:
    """HubSettings (HubBaseSettings without secrets) from HK_* variables, command line on top."""
    from pydantic import ValidationError

    from hub.settings import HubBaseSettings, HubSettings
    from models.errors import explain

    given = {k: v for k, v in overrides.items() if v not in (None, [], ())}
    try:
        return HubSettings(**given) if secrets else HubBaseSettings(**given)
    except ValidationError as exc:
        typer.echo(f"settings are not valid: {explain(exc)}", err=True)
        if any(e["loc"] == ("secret_key",) for e in exc.errors()):
            typer.echo(
                "set HK_SECRET_KEY, e.g. export HK_SECRET_KEY=$(openssl rand -hex 32)", err=True
            )
        raise typer.Exit(2) from None


def _wait_for_signal() -> None:
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()


def _halls(settings: Any) -> Any:
    from hub.server import load_halls
    from models.errors import ContractError

    try:
        return load_halls(settings.hall_dirs)
    except ContractError as exc:
        typer.echo(f"hall layout refused: {exc.reason}", err=True)
        raise typer.Exit(2) from None


@app.command()
def run(
    hall: list[Path] = typer.Option(None, "--hall", help=HALL_HELP),
    db: str | None = typer.Option(None, "--db", help="Database URL (HK_DATABASE_URL)."),
    broker: str | None = typer.Option(None, "--broker", help="mqtt://host:port (HK_BROKER_URL)."),
    host: str | None = typer.Option(None, "--host", help="API listen address (HK_HOST)."),
    port: int | None = typer.Option(None, "--port", help="API listen port (HK_PORT)."),
    validate_config: bool = typer.Option(
        False, "--validate-config", help="Check the settings and hall layouts, then exit."
    ),
) -> None:
    """Run the hub: migrate, ingest + projectors, config push, fleet tick, API."""
    from hub.server import HubServer

    settings = _settings(hall_dirs=hall, database_url=db, broker_url=broker, host=host, port=port)
    halls = _halls(settings)
    if validate_config:
        names = ", ".join(f"{h.id} ({len(h.devices)} devices)" for h in halls)
        typer.echo(f"ok: settings valid; halls {names}; database {settings.database_url}")
        return
    server = HubServer(settings, halls=halls)
    server.start()
    typer.echo(f"hub running: API {server.api_url}, broker {settings.broker_url}; Ctrl-C stops")
    try:
        _wait_for_signal()
    finally:
        server.stop()


@app.command()
def migrate(db: str | None = typer.Option(None, "--db", help="Database URL.")) -> None:
    """Bring the database schema to the newest revision of every area."""
    from hub.db import make_engine
    from hub.db import migrate as do_migrate

    settings = _settings(secrets=False, database_url=db)
    engine = make_engine(settings.database_url)
    do_migrate(engine)
    engine.dispose()
    typer.echo("database is up to date")


@app.command()
def ingest(
    hall: list[Path] = typer.Option(None, "--hall", help=HALL_HELP),
    db: str | None = typer.Option(None, "--db", help="Database URL."),
    broker: str | None = typer.Option(None, "--broker", help="mqtt://host:port"),
    share_group: str | None = typer.Option(
        None,
        "--share-group",
        help="MQTT v5 shared subscription group (use the same on every hub process, e.g. `hub`).",
    ),
    client_id: str | None = typer.Option(
        None, "--client-id", help="Unique per worker; keeps its broker session."
    ),
) -> None:
    """Run an ingest-only worker (scale-out): ingest + projectors; no API, tick or timers."""
    from hub.server import HubServer

    settings = _settings(
        hall_dirs=hall,
        database_url=db,
        broker_url=broker,
        share_group=share_group,
        client_id=client_id,
        push_config_on_start=False,
    )
    server = HubServer(
        settings, halls=_halls(settings), serve_api=False, run_background=False, migrate_db=False
    )
    server.start()
    typer.echo(f"ingest worker running against {settings.broker_url}; Ctrl-C stops")
    try:
        _wait_for_signal()
    finally:
        server.stop()


@app.command("push-config")
def push_config_cmd(
    hall: list[Path] = typer.Option(None, "--hall", help=HALL_HELP),
    db: str | None = typer.Option(None, "--db", help="Database URL."),
    broker: str | None = typer.Option(None, "--broker", help="mqtt://host:port"),
) -> None:
    """Publish every device's config document, retained; new version only where it changed."""
    import uuid
    from datetime import UTC, datetime

    from hub.configpush import push_config
    from hub.db import make_engine
    from hub.db import migrate as do_migrate
    from hub.mqtt_out import MqttCommandSender

    settings = _settings(secrets=False, hall_dirs=hall, database_url=db, broker_url=broker)
    halls = _halls(settings)
    engine = make_engine(settings.database_url)
    do_migrate(engine)
    sender = MqttCommandSender(
        settings.broker(),
        client_id=f"{settings.client_id}-push-{uuid.uuid4().hex[:8]}",
    )
    sender.start()
    try:
        results = push_config(engine, sender, halls, datetime.now(UTC))
    finally:
        sender.stop()
        engine.dispose()
    for r in results:
        mark = "new" if r.changed else "same"
        sent = "published" if r.published else "NOT CONFIRMED"
        typer.echo(f"{r.hall}/{r.device}: v{r.version} ({mark}) {sent}")
    if not all(r.published for r in results):
        raise typer.Exit(1)


def _since(value: str | None) -> Any:
    """`--since` as an aware datetime: a day (hall-local midnight) or an ISO time."""
    if not value:
        return None
    from datetime import datetime
    from zoneinfo import ZoneInfo

    try:
        if len(value) == 10:
            day = datetime.fromisoformat(value)
            return day.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
        at = datetime.fromisoformat(value)
    except ValueError:
        typer.echo(
            f"--since {value!r}: give a day (2026-03-02) or a time (2026-03-02T08:30)", err=True
        )
        raise typer.Exit(2) from None
    return at if at.tzinfo else at.replace(tzinfo=ZoneInfo("Asia/Shanghai"))


@app.command("dead-letters")
def dead_letters_cmd(
    db: str | None = typer.Option(None, "--db", help="Database URL."),
    since: str | None = typer.Option(
        None, "--since", help="From this day (hall-local, 2026-03-02) or time (ISO)."
    ),
    device: str | None = typer.Option(None, "--device", help="Only this device's."),
    limit: int = typer.Option(100, "--limit", min=1, max=100_000, help="Newest N at most."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object a line, payload in hex."),
) -> None:
    """List the messages ingest refused: time, device, reason code and reason, topic."""
    import json

    from hub.db import make_engine
    from hub.events import queries

    settings = _settings(secrets=False, database_url=db)
    engine = make_engine(settings.database_url)
    try:
        rows = queries.dead_letters(engine, limit=limit, since=_since(since), device=device)
    finally:
        engine.dispose()
    for row in reversed(rows):
        if as_json:
            item = {k: v for k, v in row.items() if k != "payload"}
            item["received_at"] = row["received_at"].isoformat()
            item["payload_hex"] = bytes(row["payload"]).hex()
            typer.echo(json.dumps(item, ensure_ascii=False))
        else:
            at = row["received_at"].isoformat(timespec="seconds")
            who = row["device"] or "?"
            typer.echo(
                f"{at}  {who:<16} {row['code'] or 'other':<15} {row['reason']}  [{row['topic']}]"
            )
    if not rows and not as_json:
        typer.echo("no dead letters")


@app.command()
def reproject(
    area: str = typer.Option(..., "--area", help="attendance, compliance, queue or ratings."),
    from_day: str | None = typer.Option(
        None, "--from", help="Only facts from this day on (hall-local, 2026-03-02)."
    ),
    hall: list[Path] = typer.Option(None, "--hall", help=HALL_HELP),
    db: str | None = typer.Option(None, "--db", help="Database URL."),
) -> None:
    """Rebuild an area's records from the stored facts and report what changed.

    Safe beside a running hub: each projector's lane is locked while it is replayed. Device
    commands (prints, displays, calls) are not sent again.
    """
    from datetime import UTC, datetime

    from hub.areas import AreaContext, load_areas
    from hub.commands import RecordingSender
    from hub.db import make_engine
    from hub.ingest.reproject import AREAS, facts_to_replay
    from hub.ingest.reproject import reproject as rebuild

    if area not in AREAS:
        typer.echo(f"--area must be one of: {', '.join(AREAS)}", err=True)
        raise typer.Exit(2)
    settings = _settings(secrets=False, hall_dirs=hall, database_url=db)
    halls = _halls(settings)
    since = _since(from_day)
    engine = make_engine(settings.database_url)
    ctx = AreaContext(
        engine=engine,
        halls=halls,
        commands=RecordingSender(),  # a rebuild never prints or calls again
        clock=lambda: datetime.now(UTC),
        settings=settings,
    )
    try:
        projectors = [p for part in load_areas(ctx, [f"hub.{area}.area"]) for p in part.projectors]
        total = facts_to_replay(engine, area, projectors, since)
        with typer.progressbar(length=total, label=f"reprojecting {area}") as bar:
            report = rebuild(engine, area, projectors, since=since, progress=bar.update)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    typer.echo(f"{area}: {report.facts} fact(s) applied again, {report.failed} failed")
    for t in report.tables:
        typer.echo(
            f"  {t.table}: {t.before} -> {t.after} rows; "
            f"{t.added} added, {t.removed} removed, {t.changed} changed"
        )
    typer.echo("records changed" if report.changed else "no record changed")
    if report.failed:
        raise typer.Exit(1)
