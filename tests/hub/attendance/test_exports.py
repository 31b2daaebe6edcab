"""Attendance exports as a Chinese office opens them: openpyxl, and LibreOffice headless."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hub.attendance.engine import judge
from hub.attendance.exports import BOM, to_csv, to_xlsx
from hub.attendance.policy import load_policy
from hub.attendance.reports import MonthReport, group, summarise
from hub.attendance.store import day_rows
from hub.dashboard.i18n import translator
from tests.hub.attendance.helpers import punches

CLINIC = load_policy("clinic-4x")
SOFFICE = shutil.which("soffice")


def report() -> MonthReport:
    facts = []
    for d in ("2025-06-03", "2025-06-04", "2025-06-05", "2025-06-06", "2025-06-09", "2025-06-10"):
        facts += punches("王芳", d, "08:05", "11:00", "12:45", "12:55", "16:00")
    records = judge(
        CLINIC, punches=facts, start=date(2025, 6, 3), end=date(2025, 6, 10), roster=["王芳"]
    )
    rows = [row for rec in records for row in day_rows(rec)]
    info = {"王芳": {"name": "王芳", "unit": "税务局", "window": "w01"}}
    staff = summarise(rows, CLINIC, info)
    return MonthReport(
        "2025-06", "clinic-4x", False, staff, group(staff, "window"), group(staff, "unit"), rows
    )


def test_xlsx_and_csv_in_words_with_the_penalties() -> None:
    rep = report()
    zh = translator("zh-CN")
    book = load_workbook(io.BytesIO(to_xlsx(rep, zh, CLINIC.zone, CLINIC.checkpoint_names())))
    staff = [[c.value for c in row] for row in book["人员汇总"].iter_rows()]
    head = dict(zip(staff[0], staff[1], strict=True))
    assert head["迟到(次)"] == 6 and head["提前打卡(次)"] == 6  # rule ATT-4: 12:45 each day
    assert head["扣款(元)"] == 6 * 10 + 500 + 6 * 10
    lines = [[c.value for c in row] for row in book["扣款明细"].iter_rows()][1:]
    assert [(x[2], x[3], x[6]) for x in lines] == [
        ("迟到", "ATT-9", 60),
        ("提前打卡（ATT-4）", "ATT-4", 60),
        ("当月迟到累计", "ATT-9", 500),
    ]
    per_day = [[c.value for c in row] for row in book["每日明细"].iter_rows()]
    assert len(per_day) == 1 + 6 and per_day[1][4:6] == ["08:05", "迟到 5分钟"]
    assert per_day[1][9] == "正常 · 提前打卡（ATT-4）"  # PM_IN: ok, with the early punch
    text = to_csv(rep.staff, zh)
    assert text.startswith(BOM) and "\r\n" in text
    assert next(csv.reader(io.StringIO(text[1:])))[:3] == ["编号", "姓名", "派驻单位"]
    en = translator("en")
    book = load_workbook(io.BytesIO(to_xlsx(rep, en, CLINIC.zone, CLINIC.checkpoint_names())))
    assert book.sheetnames == ["Staff", "Windows", "Units", "Per day", "Penalties", "About"]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_both(tmp_path: Path) -> None:
    rep = report()
    zh = translator("zh-CN")
    (tmp_path / "month.xlsx").write_bytes(to_xlsx(rep, zh, CLINIC.zone, CLINIC.checkpoint_names()))
    (tmp_path / "month.csv").write_bytes(to_csv(rep.staff, zh).encode("utf-8"))
    out = tmp_path / "out"
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"
    utf8_csv = "csv:Text - txt - csv (StarCalc):44,34,76"  # 76: write UTF-8
    for source, target, infilter in (
        ("month.xlsx", utf8_csv, []),
        ("month.csv", "xlsx", ["--infilter=CSV:44,34,76,1"]),  # read as UTF-8, as Excel does
    ):
        command = [str(SOFFICE), profile, "--headless", *infilter, "--convert-to", target]
        command += ["--outdir", str(out), str(tmp_path / source)]
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    first_sheet = (out / "month.csv").read_text(encoding="utf-8")  # the staff sheet, as CSV
    assert first_sheet.splitlines()[0].startswith("编号,姓名,派驻单位")
    assert "王芳,王芳,税务局,w01" in first_sheet
    reread = load_workbook(out / "month.xlsx")  # the CSV as Calc read it (the BOM not a cell)
    row = [c.value for c in next(reread.active.iter_rows())]  # type: ignore[union-attr]
    assert row[:3] == ["编号", "姓名", "派驻单位"]
