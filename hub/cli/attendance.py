"""`hallkeeper attendance`: judge punch files by policy, month reports with penalties, policies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from hub.attendance.engine import CorrectionFact, Employment, Expected, LeaveFact, PunchFact
    from hub.attendance.policy import Policy

app = typer.Typer(no_args_is_help=True)

POLICY = typer.Option("wenshang-2021", "--policy", help="Preset name or policy .toml.")
PUNCHES = typer.Option(..., "--punches", help="CSV staff_id,time (ISO 8601 + offset).")
LEAVES = typer.Option(None, "--leaves", help="CSV staff_id,start,end,kind (approved leave).")
CORRECTIONS = typer.Option(
    None, "--corrections", help="CSV staff_id,time,reason,approver[,checkpoint] (approved)."
)
STAFF = typer.Option(
    None, "--staff", help="Staff ids, one per line[,start_date,leave_date,daily_wage]."
)
ROSTER = typer.Option(
    None,
    "--roster",
    help="CSV (or XLSX) staff_id,date,seat,role: only rostered staff are judged, on their "
    "rostered days (rule DUTY-1; a date may be a day, a month YYYY-MM or a range a~b).",
)
NOW = typer.Option(
    None,
    "--now",
    help="The hall's clock, ISO 8601 with offset (default: now): later days are not judged, "
    "checkpoints not yet due are 未到.",
)


def _day(text: str) -> date:
    from hub.cli.session import words

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(words("cli.bad_day", value=repr(text))) from None


def _now(text: str | None) -> datetime:
    from hub.cli.session import words

    if text is None:
        return datetime.now(UTC)  # the CLI reads the clock; the engine is handed it
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(words("cli.bad_now")) from None
    if at.tzinfo is None:
        raise typer.BadParameter(words("cli.bad_now"))
    return at


def _roster(path: Path | None, pol: Policy) -> tuple[Expected | None, list[str]]:
    """Who the roster file expects on which day, and its staff; errors name the line (exit 2)."""
    if path is None:
        return None, []
    import os

    from hub.attendance.calendar import CalendarError, WorkCalendar
    from hub.duty.rosterio import read_expected
    from hub.duty.words import say

    lang = "en" if os.environ.get("LANG", "").lower().startswith("en") else "zh-CN"
    calendar = WorkCalendar(pol.calendar.extra_workdays, pol.calendar.extra_holidays)
    try:
        data = path.read_bytes()
        pairs, issues = read_expected(data, path.name, calendar.is_workday)
    except OSError as exc:
        typer.echo(f"error: {path}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    except CalendarError as exc:
        typer.echo(f"error: {path}: {exc}", err=True)
        raise typer.Exit(2) from None
    if issues:
        for i in issues:
            typer.echo(f"error: {path}: {say(lang, i.key, **i.params())}", err=True)
        raise typer.Exit(2)
    return (lambda staff_id, day: (staff_id, day) in pairs), sorted({s for s, _d in pairs})


@dataclass
class Facts:
    """What the files say."""

    policy: Policy
    punches: list[PunchFact]
    leaves: list[LeaveFact]
    corrections: list[CorrectionFact]
    roster: list[str]
    employment: dict[str, Employment]
    wages: dict[str, float]


def _facts(
    policy: str, punches: Path, leaves: Path | None, corrections: Path | None, staff: Path | None
) -> Facts:
    """Read the policy and the fact files; errors name the file and line (exit 2)."""
    from hub.attendance.csvio import (
        FactFileError,
        read_corrections,
        read_leaves,
        read_punches,
        read_staff_lines,
    )
    from hub.attendance.policy import PolicyError, load_policy

    try:
        pol = load_policy(policy)
        lines = read_staff_lines(staff) if staff else []
        return Facts(
            pol,
            read_punches(punches),
            read_leaves(leaves, pol.zone) if leaves else [],
            read_corrections(corrections) if corrections else [],
            [line.staff_id for line in lines],
            {line.staff_id: line.employment for line in lines},
            {line.staff_id: line.daily_wage for line in lines if line.daily_wage is not None},
        )
    except (PolicyError, FactFileError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def judge(
    policy: str = POLICY,
    punches: Path = PUNCHES,
    leaves: Path | None = LEAVES,
    corrections: Path | None = CORRECTIONS,
    staff: Path | None = STAFF,
    roster: Path | None = ROSTER,
    start: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD."),
    end: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD."),
    now: str | None = NOW,
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
    explain: bool = typer.Option(
        False, "--explain", help="JSON: why each checkpoint got its verdict (one object a day)."
    ),
) -> None:
    """Judge every expected day from --from to --to for every staff member (ATT-1..ATT-6)."""
    from hub.attendance.calendar import CalendarError
    from hub.attendance.engine import Judge

    first, last = _day(start), _day(end)
    if last < first:
        from hub.cli.session import words

        raise typer.BadParameter(words("cli.range_order"))
    f = _facts(policy, punches, leaves, corrections, staff)
    expected, rostered = _roster(roster, f.policy)
    clock = _now(now)
    judge_ = Judge(f.policy)
    try:
        records = judge_.judge(
            punches=f.punches,
            leaves=f.leaves,
            corrections=f.corrections,
            start=first,
            end=last,
            roster=[*f.roster, *rostered],
            employment=f.employment,
            expected=expected,
            now=clock,
        )
        if explain:
            out = [_explained(judge_, f, r.staff_id, r.day, clock, expected) for r in records]
            typer.echo(json.dumps(out, ensure_ascii=False))
            return
    except CalendarError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    zone = f.policy.zone
    if as_json:
        rows = [
            {
                "staff_id": r.staff_id,
                "date": r.day.isoformat(),
                "checkpoint": c.checkpoint,
                "status": c.status.value,
                "minutes": c.minutes,
                "punch": c.punch.astimezone(zone).strftime("%H:%M:%S") if c.punch else None,
                "corrected": c.corrected,
                "leave_kind": c.leave_kind,
                "rule": c.rule,
                "early_punch": c.early_punch,
            }
            for r in records
            for c in r.checkpoints
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    _table(f.policy, records)


def _explained(
    judge_: Any, f: Facts, staff_id: str, day: date, clock: datetime, expected: Any = None
) -> dict[str, Any]:
    found = judge_.explain_day(
        staff_id,
        day,
        punches=f.punches,
        leaves=f.leaves,
        corrections=f.corrections,
        employment=f.employment.get(staff_id),
        expected=expected,
        now=clock,
    )
    record, why = found
    zone = f.policy.zone
    return {
        "staff_id": staff_id,
        "date": day.isoformat(),
        "checkpoints": why,
        "stray": [s.astimezone(zone).strftime("%H:%M:%S") for s in record.stray],
    }


def _table(pol: Policy, records: list[Any]) -> None:
    names = pol.checkpoint_names()
    typer.echo(f"policy {pol.name} ({pol.timezone}); * = corrected, ~ = punch outside windows")
    typer.echo(f"{'staff_id':<14}{'date':<12}" + "".join(f"{n:<20}" for n in names))
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
            f"{r.staff_id:<14}{r.day.isoformat():<12}" + "".join(f"{c:<20}" for c in cells) + tail
        )


@app.command()
def report(
    policy: str = POLICY,
    punches: Path = PUNCHES,
    leaves: Path | None = LEAVES,
    corrections: Path | None = CORRECTIONS,
    staff: Path | None = STAFF,
    roster: Path | None = ROSTER,
    month: str = typer.Option(..., "--month", help="The month, YYYY-MM."),
    now: str | None = NOW,
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list, one object a person."),
) -> None:
    """The month report with penalties (ATT-8, ATT-9): counts, penalty lines, days' pay."""
    from hub.attendance.calendar import CalendarError
    from hub.attendance.engine import Judge
    from hub.attendance.projector import month_range
    from hub.attendance.reports import summarise
    from hub.attendance.store import day_rows

    try:
        first, last = month_range(month)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    f = _facts(policy, punches, leaves, corrections, staff)
    expected, rostered = _roster(roster, f.policy)
    try:
        records = Judge(f.policy).judge(
            punches=f.punches,
            leaves=f.leaves,
            corrections=f.corrections,
            start=first,
            end=last,
            roster=[*f.roster, *rostered],
            employment=f.employment,
            expected=expected,
            now=_now(now),
        )
    except CalendarError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    rows = summarise([row for r in records for row in day_rows(r)], f.policy, wages=f.wages)
    if as_json:
        typer.echo(json.dumps([r.as_json() for r in rows], ensure_ascii=False))
        return
    typer.echo(f"policy {f.policy.name}, month {month}")
    head = ("staff_id", "days", "late", "early", "off_post", "missing", "forgot", "absent½")
    typer.echo("".join(f"{h:<10}" for h in head) + "yuan  days' pay")
    for r in rows:
        cells = (
            r.key,
            r.workdays,
            r.late,
            r.early,
            r.absent_from_post,
            r.missing,
            r.forgotten_signins,
            r.absent_half_days,
        )
        pay = f"{r.days_pay_days}" + (f" ({r.days_pay_yuan} yuan)" if r.days_pay_yuan else "")
        typer.echo("".join(f"{c!s:<10}" for c in cells) + f"{r.penalty_yuan:<6}{pay}")


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
