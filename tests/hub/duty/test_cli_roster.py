"""`hallkeeper attendance judge|report --roster FILE` (CSV staff_id,date,seat,role): only rostered
staff are judged, on their rostered days, holiday duty included (rules DUTY-1, ATT-10)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hub.cli.main import app

runner = CliRunner()
PUNCHES = (
    "staff_id,time\n"
    "S1,2026-12-07T08:20:00+08:00\nS1,2026-12-07T12:01:00+08:00\n"
    "S1,2026-12-07T13:25:00+08:00\nS1,2026-12-07T17:35:00+08:00\n"
    "S2,2026-12-07T08:20:00+08:00\n"  # S2 punches but is not rostered: not judged
    "S1,2026-12-06T08:25:00+08:00\n"  # Sunday: S1's holiday duty (rostered explicitly)
)
ROSTER = (
    "staff_id,date,seat,role\n"
    "S1,2026-12-07~2026-12-08,w01-a,A\n"
    "S3,2026-12-07,w02-a,B岗\n"  # rostered, no punch: absent, not forgotten
    "S1,2026-12-06,w01-a,A\n"
)


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def test_judge_with_a_roster_judges_only_rostered_staff_days(tmp_path: Path) -> None:
    """Rule DUTY-1: a staff member not rostered is not absent; a rostered Sunday is judged."""
    args = ["attendance", "judge", "--punches", str(write(tmp_path, "p.csv", PUNCHES))]
    args += ["--from", "2026-12-06", "--to", "2026-12-08", "--now", "2026-12-09T09:00:00+08:00"]
    plain = runner.invoke(app, [*args, "--json"])
    assert plain.exit_code == 0, plain.stderr
    assert {r["staff_id"] for r in json.loads(plain.stdout)} == {"S1", "S2"}
    roster = str(write(tmp_path, "r.csv", ROSTER))
    result = runner.invoke(app, [*args, "--roster", roster, "--json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    days = {(r["staff_id"], r["date"]) for r in rows}
    assert days == {
        ("S1", "2026-12-06"),
        ("S1", "2026-12-07"),
        ("S1", "2026-12-08"),
        ("S3", "2026-12-07"),
    }
    s3 = {r["status"] for r in rows if r["staff_id"] == "S3"}
    assert s3 and "missing" not in s3  # both halves without a punch: absent (ATT-6)
    report = runner.invoke(
        app,
        [
            "attendance",
            "report",
            "--punches",
            str(tmp_path / "p.csv"),
            "--roster",
            roster,
            "--month",
            "2026-12",
            "--now",
            "2026-12-09T09:00:00+08:00",
            "--json",
        ],
    )
    assert report.exit_code == 0, report.stderr
    assert {r["staff_id"] for r in json.loads(report.stdout)} == {"S1", "S3"}


def test_a_bad_roster_file_names_its_line(tmp_path: Path) -> None:
    """A confused office: the error names the line and says what to write, and nothing is judged."""
    roster = write(tmp_path, "r.csv", "staff_id,date,seat,role\nS1,2026-12-07,w01-a,X\n")
    result = runner.invoke(
        app,
        [
            "attendance",
            "judge",
            "--punches",
            str(write(tmp_path, "p.csv", PUNCHES)),
            "--roster",
            str(roster),
            "--from",
            "2026-12-07",
            "--to",
            "2026-12-07",
        ],
    )
    assert result.exit_code == 2 and "第 2 行" in result.stderr and result.stdout == ""
    missing = runner.invoke(
        app,
        [
            "attendance",
            "judge",
            "--punches",
            str(tmp_path / "p.csv"),
            "--roster",
            str(tmp_path / "none.csv"),
            "--from",
            "2026-12-07",
            "--to",
            "2026-12-07",
        ],
    )
    assert missing.exit_code == 2 and "none.csv" in missing.stderr
