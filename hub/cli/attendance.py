"""`hallkeeper attendance`: judge punch files by policy; list and check policies."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from None


@app.command()
def judge(
    policy: str = typer.Option("wenshang-2021", "--policy", help="Preset name or policy .toml."),
    punches: Path = typer.Option(..., "--punches", help="CSV staff_id,time (ISO 8601 + offset)."),
    leaves: Path | None = typer.Option(None, "--leaves", help="CSV staff_id,start,end,kind."),
    corrections: Path | None = typer.Option(
        None, "--corrections", help="CSV staff_id,time,reason,approver."
    ),
    staff: Path | None = typer.Option(None, "--staff", help="Staff ids, one per line."),
    start: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD."),
    end: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
) -> None:
    """Judge every workday from --from to --to for every staff member (rules ATT-1..ATT-6)."""
    from hub.attendance.calendar import CalendarError
    from hub.attendance.csvio import (
        FactFileError,
        read_corrections,
        read_leaves,
        read_punches,
        read_staff,
    )
    from hub.attendance.engine import Judge
    from hub.attendance.policy import PolicyError, load_policy

    first, last = _day(start), _day(end)
    if last < first:
        raise typer.BadParameter("--to is before --from")
    try:
        pol = load_policy(policy)
        facts_p = read_punches(punches)
        facts_l = read_leaves(leaves, pol.zone) if leaves else []
        facts_c = read_corrections(corrections) if corrections else []
        roster = read_staff(staff) if staff else []
        records = Judge(pol).judge(
            punches=facts_p,
            leaves=facts_l,
            corrections=facts_c,
            start=first,
            end=last,
            roster=roster,
        )
    except (PolicyError, FactFileError, CalendarError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        out = [
            {
                "staff_id": r.staff_id,
                "date": r.day.isoformat(),
                "checkpoint": c.checkpoint,
                "status": c.status.value,
                "minutes": c.minutes,
            }
            for r in records
            for c in r.checkpoints
        ]
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    names = pol.checkpoint_names()
    typer.echo(f"policy {pol.name} ({pol.timezone}); * = corrected, ~ = punch outside windows")
    typer.echo(f"{'staff_id':<14}{'date':<12}" + "".join(f"{n:<16}" for n in names))
    for r in records:
        cells = []
        for c in r.checkpoints:
            text = c.status.value
            if c.minutes:
                text += f" {c.minutes}m"
            if c.leave_kind:
                text += f" ({c.leave_kind})"
            if c.punch is not None and c.status.value != "leave":
                text = f"{c.punch.astimezone(pol.zone):%H:%M} {text}"
            cells.append(text + ("*" if c.corrected else ""))
        tail = (
            "  ~" + ",".join(f"{s.astimezone(pol.zone):%H:%M}" for s in r.stray) if r.stray else ""
        )
        typer.echo(
            f"{r.staff_id:<14}{r.day.isoformat():<12}" + "".join(f"{c:<16}" for c in cells) + tail
        )


@app.command()
def presets() -> None:
    """List the shipped policy presets."""
    from hub.attendance.policy import load_policy, preset_names

    for name in preset_names():
        typer.echo(f"{name:<16}{load_policy(name).description}")


@app.command("check-policy")
def check_policy(
    policy: str = typer.Argument(..., help="Preset name or a hall's policy .toml file."),
    show: bool = typer.Option(False, "--show", help="Print the policy as JSON."),
) -> None:
    """Validate a policy (a hall's edited copy of a preset); print why it is refused."""
    from hub.attendance.policy import PolicyError, load_policy

    try:
        pol = load_policy(policy)
    except PolicyError as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from None
    if show:
        typer.echo(json.dumps(pol.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        typer.echo(f"ok: {pol.name}, {len(pol.checkpoints)} checkpoints, {pol.timezone}")


@app.command()
def calendar(
    start: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD."),
    end: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD."),
) -> None:
    """Print each day's kind: workday, 调休 make-up day, holiday, weekend (rule ATT-10)."""
    from datetime import timedelta

    from hub.attendance.calendar import CalendarError, WorkCalendar

    cal, d, last = WorkCalendar(), _day(start), _day(end)
    try:
        while d <= last:
            typer.echo(f"{d.isoformat()} {d:%a} {cal.day_kind(d).value}")
            d += timedelta(days=1)
    except CalendarError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
