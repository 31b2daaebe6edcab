"""`hallkeeper attendance judge` with the issue's file formats, and the bench command."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hub.cli.main import app

runner = CliRunner()


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def judge(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["attendance", "judge", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_for_every_workday_and_staff_member(tmp_path: Path):
    p = write(
        tmp_path,
        "p.csv",
        "staff_id,time\n"
        "a1,2024-10-12T08:29:00+08:00\n"  # Saturday 12 Oct 2024: a 调休 make-up workday
        "a1,2024-10-12T12:01:00+08:00\n"
        "a1,2024-10-12T05:45:00Z\n"  # 13:45 Shanghai: 15 min late in winter (13:30)
        "a1,2024-10-12T17:31:00+08:00\n"
        "b2,2024-10-12T08:40:00+08:00\n",
    )
    leaves = write(tmp_path, "l.csv", "staff_id,start,end,kind\nc3,2024-10-12,2024-10-12,sick\n")
    fixes = write(
        tmp_path,
        "c.csv",
        "staff_id,time,reason,approver\nb2,2024-10-12T12:00:00+08:00,terminal down,chief\n",
    )
    staff = write(tmp_path, "staff.txt", "c3\nd4\n")
    code, out, _ = judge(
        "--policy",
        "wenshang-2021",
        "--punches",
        str(p),
        "--leaves",
        str(leaves),
        "--corrections",
        str(fixes),
        "--staff",
        str(staff),
        "--from",
        "2024-10-12",
        "--to",
        "2024-10-13",
        "--json",
    )
    assert code == 0, out
    rows = json.loads(out)
    got = {(r["staff_id"], r["checkpoint"]): (r["status"], r["minutes"]) for r in rows}
    assert {r["date"] for r in rows} == {"2024-10-12"}  # Sunday 13th is a weekend
    assert len(rows) == 4 * 4  # four staff, four checkpoints
    assert list(rows[0]) == ["staff_id", "date", "checkpoint", "status", "minutes"]
    assert got[("a1", "PM_IN")] == ("late", 15)
    assert got[("b2", "AM_IN")] == ("late", 10)
    assert got[("b2", "AM_OUT")] == ("ok", 0)  # corrected: the status its punch earns
    assert got[("b2", "PM_IN")] == ("absent", 0)  # both afternoon punches missing: 旷工
    assert got[("c3", "AM_IN")] == ("leave", 0)
    assert got[("d4", "PM_OUT")] == ("absent", 0)


def test_table_output_and_clinic_preset(tmp_path: Path):
    p = write(tmp_path, "p.csv", "s1,2025-06-03T12:45:00+08:00\ns1,2025-06-03T08:02:00+08:00\n")
    code, out, _ = judge(
        "--policy", "clinic-4x", "--punches", str(p), "--from", "2025-06-03", "--to", "2025-06-03"
    )
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("s1"))
    assert "08:02 late 2m" in line and "~12:45" in line  # rule ATT-4: punch in the gap


def test_bad_files_name_the_line(tmp_path: Path):
    p = write(
        tmp_path, "p.csv", "staff_id,time\na1,2024-10-12T08:29:00+08:00\na1,2024-10-12 08:29\n"
    )
    code, _, err = judge("--punches", str(p), "--from", "2024-10-12", "--to", "2024-10-12")
    assert code == 2 and f"{p}:3:" in err and "no UTC offset" in err
    p2 = write(tmp_path, "p2.csv", "a1,2024-10-12T08:29:00+08:00,extra\n")
    code, _, err = judge("--punches", str(p2), "--from", "2024-10-12", "--to", "2024-10-12")
    assert code == 2 and f"{p2}:1: expected 2 fields" in err
    good = write(tmp_path, "g.csv", "a1,2024-10-12T08:29:00+08:00\n")
    lv = write(tmp_path, "l.csv", "a1,2024-10-12,2024-10-12,vacation\n")
    code, _, err = judge(
        "--punches", str(good), "--leaves", str(lv), "--from", "2024-10-12", "--to", "2024-10-12"
    )
    assert code == 2 and f"{lv}:1: unknown leave kind 'vacation'" in err
    fx = write(tmp_path, "c.csv", "a1,2024-10-12T08:29:00+08:00,,chief\n")
    code, _, err = judge(
        "--punches",
        str(good),
        "--corrections",
        str(fx),
        "--from",
        "2024-10-12",
        "--to",
        "2024-10-12",
    )
    assert code == 2 and f"{fx}:1: a correction needs a reason" in err
    code, _, err = judge(
        "--punches", str(good), "--policy", "nope", "--from", "2024-10-12", "--to", "2024-10-12"
    )
    assert code == 2 and "presets:" in err
    code, _, err = judge("--punches", str(good), "--from", "2040-01-02", "--to", "2040-01-03")
    assert code == 2 and "no data for 2040" in err  # never a guess


def test_check_policy_and_presets(tmp_path: Path):
    result = runner.invoke(app, ["attendance", "presets"])
    assert result.exit_code == 0 and "clinic-4x" in result.stdout
    bad = write(tmp_path, "our.toml", 'name = "x"\ncheckpoints = []\n')
    result = runner.invoke(app, ["attendance", "check-policy", str(bad)])
    assert result.exit_code == 1 and "checkpoints" in result.stderr


def test_bench_command_prints_its_figures():
    result = runner.invoke(app, ["bench", "attendance", "--staff", "30", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["staff"] == 30 and figures["punches"] == 30 * 22 * 4
    assert figures["month_s"] > 0 and figures["late_punch_ms"] > 0
