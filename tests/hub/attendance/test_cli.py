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
    assert list(rows[0])[:5] == ["staff_id", "date", "checkpoint", "status", "minutes"]
    assert rows[0]["punch"] == "08:29:00" and rows[0]["rule"] == "ATT-2"
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
    staff = write(tmp_path, "s.txt", "a1,2003-01-01\n")
    args = ["--punches", str(good), "--staff", str(staff), "--from", "2003-01-02"]
    code, _, err = judge(*args, "--to", "2003-01-03")
    assert code == 2 and "no data for 2003" in err  # never a guess
    code, out, _ = judge(*args[:-2], "--from", "2040-01-02", "--to", "2040-01-03", "--json")
    assert code == 0 and json.loads(out) == []  # days not yet come are not judged
    bad_staff = write(tmp_path, "s2.txt", "a1,2025-06-01,2025-05-01\n")
    code, _, err = judge(
        "--punches", str(good), "--staff", str(bad_staff), *args[-2:], "--to", "2003-01-03"
    )
    assert code == 2 and f"{bad_staff}:1: leave_date is before start_date" in err
    own = write(tmp_path, "own.csv", "a1,2024-10-12T08:29:00+08:00,forgot,a1\n")
    code, _, err = judge(
        "--punches",
        str(good),
        "--corrections",
        str(own),
        "--from",
        "2024-10-12",
        "--to",
        "2024-10-12",
    )
    assert code == 2 and "cannot approve their own correction" in err  # rule ATT-6


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


def test_report_json_per_staff_member_with_penalties(tmp_path: Path):
    # rule ATT-9 under clinic-4x: June 2025 has 20 workdays (2 June: Dragon Boat Festival)
    lines = ["staff_id,time"]
    for d in ("03", "04", "05", "06", "09", "10"):  # six lates: reaching 6 costs 500
        for t in ("08:05", "11:00", "12:55", "16:00"):
            lines.append(f"late,2025-06-{d}T{t}:00+08:00")
    for d in ("03", "04", "05", "06", "09", "10", "11"):  # 7 forgotten sign-ins: more than 6
        for t in ("08:00", "11:00", "12:51"):
            lines.append(f"forgot,2025-06-{d}T{t}:00+08:00")
    lines.append("forgot,2025-06-12T12:45:00+08:00")  # rule ATT-4: before 12:50, a fault
    p = write(tmp_path, "p.csv", "\n".join(lines) + "\n")
    staff = write(
        tmp_path,
        "staff.csv",
        "staff_id,start_date,leave_date,daily_wage\nlate,2025-06-03,2025-06-10,200\n"
        "forgot,2025-06-03,2025-06-12\n",
    )
    result = runner.invoke(
        app,
        [
            "attendance",
            "report",
            "--policy",
            "clinic-4x",
            "--punches",
            str(p),
            "--staff",
            str(staff),
            "--month",
            "2025-06",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {r["staff_id"]: r for r in json.loads(result.stdout)}
    late = rows["late"]
    # issue 15 point 2: the fields the month report JSON holds, for every staff member
    fields = {"staff_id", "late", "early", "absent_from_post", "missing", "forgotten_signins"}
    fields |= {"absent_half_days", "penalties", "penalty_yuan", "days_pay_days"}
    assert all(fields <= set(r) for r in rows.values()), fields - set(late)
    assert all(
        isinstance(r[k], int) for r in rows.values() for k in fields - {"staff_id", "penalties"}
    )
    assert {"item", "rule", "setting", "count", "yuan_each", "yuan", "days_pay"} == set(
        late["penalties"][0]
    )
    assert (late["workdays"], late["late"], late["absent_half_days"]) == (6, 6, 0)
    assert late["penalty_yuan"] == 6 * 10 + 500 and late["days_pay_days"] == 0
    assert [(x["item"], x["rule"], x["yuan"]) for x in late["penalties"]] == [
        ("late", "ATT-9", 60),
        ("monthly_late", "ATT-9", 500),
    ]
    forgot = rows["forgot"]  # 3 to 12 June: 8 workdays; the 12th: 旷工 both halves
    assert (forgot["workdays"], forgot["missing"], forgot["forgotten_signins"]) == (8, 7, 7)
    assert (forgot["absent_half_days"], forgot["days_pay_days"]) == (2, 1)
    assert forgot["early_punches"] == 1 and forgot["daily_wage_yuan"] is None
    items = {x["item"]: x for x in forgot["penalties"]}
    assert items["monthly_forgotten"]["yuan"] == 500 and items["early_punch"]["yuan"] == 10
    assert items["absent"]["days_pay"] == 1 and forgot["penalty_yuan"] == 50 + 10 + 500


def test_judge_explain_says_why(tmp_path: Path):
    p = write(
        tmp_path,
        "p.csv",
        "s1,2025-06-03T10:40:00+08:00\ns1,2025-06-03T12:00:00+08:00\n"
        "s1,2025-06-03T12:00:30+08:00\n",
    )
    code, out, _ = judge(
        "--punches",
        str(p),
        "--from",
        "2025-06-03",
        "--to",
        "2025-06-03",
        "--explain",
        "--now",
        "2025-06-03T15:00:00+08:00",
    )
    assert code == 0, out
    (day,) = json.loads(out)
    am_in, am_out, pm_in, pm_out = day["checkpoints"]
    assert (am_in["status"], am_in["minutes"], am_in["rule"]) == ("absent_from_post", 130, "ATT-3")
    assert am_in["how"] == "paired" and am_in["punches"] == ["10:40:00", "12:00:00"]
    assert am_in["deadline"] == "08:30" and am_in["window"] == {"opens": "06:30", "closes": "10:15"}
    assert {"setting": "absent_after", "value": 60} in am_in["decided_by"]
    assert am_out["counted"] == "12:00:00" and am_out["merged"] == ["12:00:30"]
    # 15:00: the afternoon is not over; nothing came: 未到, due when its window closes
    assert (pm_in["status"], pm_out["status"]) == ("not_due", "not_due")
    assert pm_out["due_at"] == "22:00"


def test_bad_dates_are_told_as_sentences_saying_what_to_do(tmp_path: Path):
    p = write(tmp_path, "p.csv", "staff_id,time\na1,2024-10-12T08:29:00+08:00\n")
    for env, day, order in (
        ({"HK_LANG": "zh-CN"}, "不是日期：请写成 年-月-日，例如", "请给出不早于开始日期的结束日期"),
        ({"HK_LANG": "en"}, "is not a date: write it as YYYY-MM-DD", "give a last day on or after"),
    ):
        args = ["attendance", "judge", "--punches", str(p), "--to", "2024-10-12"]
        bad = runner.invoke(app, [*args, "--from", "2024-13-01"], env=env)
        assert bad.exit_code == 2 and day in bad.stderr, bad.stderr
        back = runner.invoke(app, [*args, "--from", "2024-10-13"], env=env)
        assert back.exit_code == 2 and order in back.stderr, back.stderr
