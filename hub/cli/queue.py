"""`hallkeeper queue`: take numbers and act at a counter through the running hub, statistics,
and the Mandarin announcement as a WAV file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(no_args_is_help=True)

API_HELP = "The running hub's API (HK_API_URL)."
DEFAULT_API = "http://127.0.0.1:8000"
DEFAULT_HALL = Path("firmware_cfg/halls/demo")


def _call(method: str, api: str, path: str, **kwargs: Any) -> Any:
    """A queue API call as the logged-in operator (hub.cli.session: token or password)."""
    from hub.cli.session import call

    return call(api, method, f"/api/queue{path}", **kwargs)


@app.command()
def take(
    service: str = typer.Argument(..., help="Service code, e.g. social"),
    green: bool = typer.Option(False, "--green", help="Green channel (QUEUE-2)."),
    print_it: bool = typer.Option(False, "--print", help="Print on the hall printer."),
    hall: str | None = typer.Option(None, help="Hall id (when the hub runs several)."),
    api: str = typer.Option(DEFAULT_API, envvar="HK_API_URL", help=API_HELP),
) -> None:
    """Take a number: prints the ticket, people ahead and the estimated wait."""
    r = _call(
        "POST",
        api,
        "/tickets",
        params={"hall": hall} if hall else None,
        json={"service": service, "green_channel": green, "print": print_it},
    )
    typer.echo(f"{r['ticket']}  前面 {r['ahead']} 人  预计等待 {r['est_wait_min']} 分钟")


@app.command()
def act(
    window: str = typer.Argument(..., help="Window id, e.g. w03"),
    action: str = typer.Argument(
        "next", help="next call recall skip transfer park start finish pause resume"
    ),
    ticket: str | None = typer.Option(None, help="Ticket for call / transfer."),
    to_service: str | None = typer.Option(None, help="Transfer target service."),
    to_window: str | None = typer.Option(None, help="Transfer target window."),
    staff: str | None = typer.Option(None, help="Staff member at the counter."),
    hall: str | None = typer.Option(None, help="Hall id (when the hub runs several)."),
    api: str = typer.Option(DEFAULT_API, envvar="HK_API_URL", help=API_HELP),
) -> None:
    """Act at a counter as its keypad would."""
    r = _call(
        "POST",
        api,
        f"/windows/{window}/actions",
        params={"hall": hall} if hall else None,
        json={
            "action": action,
            "ticket": ticket,
            "target_service": to_service,
            "target_window": to_window,
            "staff": staff,
        },
    )
    for ev in r["events"]:
        typer.echo(f"{ev['at']}  {ev['kind']:<12} {ev['ticket'] or '':<6} {ev['window'] or ''}")
    if not r["events"]:
        typer.echo("nothing to do (no ticket waiting)")


@app.command()
def state(
    hall: str | None = typer.Option(None, help="Hall id."),
    api: str = typer.Option(DEFAULT_API, envvar="HK_API_URL", help=API_HELP),
) -> None:
    """The live queue: waiting per service and what each counter is doing."""
    s = _call("GET", api, "/state", params={"hall": hall} if hall else None)
    for w in s["waiting"]:
        typer.echo(
            f"{w['prefix']} {w['name']:<8} 等候 {w['waiting']:>3} 人  约 {w['est_wait_min']} 分钟"
        )
    for c in s["counters"]:
        now = "暂停服务" if c["paused"] else (c["current"] or "-")
        typer.echo(f"{c['number']:>2}号窗口  {now}")


@app.command()
def stats(
    hall_dir: Path = typer.Option(DEFAULT_HALL, "--hall", help="Hall folder."),
    db: str = typer.Option(..., "--db", envvar="HK_DATABASE_URL", help="Database URL."),
    start: str | None = typer.Option(None, help="First day YYYY-MM-DD (default today)."),
    end: str | None = typer.Option(None, help="Last day (default: start)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Waiting, service time and no-show rate by service, window, staff and hour (QUEUE-5)."""
    from dataclasses import asdict
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from hub.db import make_engine
    from hub.queue import stats as qstats
    from hub.queue import store
    from models.layout import load_hall

    hall = load_hall(hall_dir)
    tz = ZoneInfo(hall.timezone)
    first = start or datetime.now(tz).date().isoformat()
    last = end or first
    for day in (first, last):
        try:
            date.fromisoformat(day)
        except ValueError:
            from hub.cli.session import words

            typer.echo(words("cli.bad_day", value=repr(day)), err=True)
            raise typer.Exit(2) from None
    events = store.events_between(make_engine(db), hall.id, first, last)
    result = qstats.compute(
        events, tz, immediate={s.code for s in hall.services if s.immediate}, now=datetime.now(UTC)
    )
    if as_json:
        typer.echo(json.dumps(asdict(result), default=str, ensure_ascii=False))
        return
    typer.echo(f"{hall.name} {first}..{last}")
    for title, groups in (
        ("service", result.by_service),
        ("window", result.by_window),
        ("staff", result.by_staff),
        ("hour", result.by_hour),
    ):
        for g in groups:
            typer.echo(
                f"{title:<8}{g.key:<18} tickets {g.tickets:>4}  served {g.served:>4}  "
                f"no-show {g.no_show_rate if g.no_show_rate is not None else '-':>6}  "
                f"wait {g.mean_wait_s or '-':>7}s  service {g.mean_service_s or '-':>7}s"
            )
    for o in result.over_limit:
        typer.echo(f"即办件超时 {o.ticket} {o.service} {o.minutes} 分钟 (QUEUE-5)")


@app.command()
def say(
    text: str = typer.Argument("请A012号到3号窗口办理", help="What to announce."),
    out: Path = typer.Option(Path("announce.wav"), "--out", help="WAV file to write."),
    voice: str = typer.Option("cmn", help="espeak-ng voice."),
) -> None:
    """Render a Mandarin announcement to a WAV file, as the hall voice does."""
    import subprocess

    from edge.drivers.voice import spoken

    subprocess.run(["espeak-ng", "-v", voice, "-w", str(out), spoken(text)], check=True)
    typer.echo(f"{out} ({out.stat().st_size} bytes): {spoken(text)}")
