"""Every export a hall office downloads (point 18.8), through the hub's API as the dashboard
links them: attendance (staff, windows, units, per day, penalties), the assessment (DUTY-5),
compliance, ratings and the queue. Chinese headers and sheet names by default, English with
?lang=en, CSV in UTF-8 with the BOM Excel needs, windows and services by the hall's names
(never w03 or social); opened with openpyxl and converted by LibreOffice headless."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.users.accounts import Role
from tests.hub.attendance.dbhelpers import add_staff
from tests.support.auth import full_app, logged_in

CJK = re.compile(r"[\u4e00-\u9fff]")
CODE = re.compile(r"^(w\d\d|w\d\d-[ab]|social|medical|property|fund|general)$")
"""Hall codes that must not reach an office's sheet: window and seat ids, service codes."""
BOM = b"\xef\xbb\xbf"


def exports(month: str, first: date, last: date) -> dict[str, str]:
    """Every export the months page links (and the CSV variants), by name."""
    span = f"start={first}&end={last}"
    return {
        "attendance.xlsx": f"/api/attendance/report/{month}?format=xlsx",
        "attendance-staff.csv": f"/api/attendance/report/{month}?format=csv&by=staff",
        "attendance-window.csv": f"/api/attendance/report/{month}?format=csv&by=window",
        "attendance-unit.csv": f"/api/attendance/report/{month}?format=csv&by=unit",
        "assessment.xlsx": f"/api/duty/demo/assessment?month={month}&format=xlsx",
        "assessment-staff.csv": f"/api/duty/demo/assessment?month={month}&format=csv",
        "assessment-window.csv": f"/api/duty/demo/assessment?month={month}&format=csv&by=window",
        "compliance.xlsx": f"/api/compliance/demo/reports/monthly?month={month}&format=xlsx",
        "compliance.csv": f"/api/compliance/demo/reports/monthly?month={month}&format=csv",
        "ratings.xlsx": f"/api/ratings/export?format=xlsx&{span}",
        "ratings.csv": f"/api/ratings/export?format=csv&{span}",
        "ratings-stats.xlsx": f"/api/ratings/export?format=xlsx&what=stats&{span}",
        "queue.xlsx": f"/api/queue/export?format=xlsx&{span}",
        "queue.csv": f"/api/queue/export?format=csv&{span}",
    }


def cells(book: Any) -> list[str]:
    """Every text cell of a workbook."""
    return [c for ws in book for row in ws.iter_rows(values_only=True) for c in row if c]


def header_row(ws: Any) -> list[str]:
    """The first row that names the columns (the assessment has a title row above it)."""
    rows = [[c for c in row if c is not None] for row in ws.iter_rows(values_only=True)]
    return next((r for r in rows if len(r) >= 3), rows[0] if rows else [])


@pytest.fixture
def office(sqlite_engine: Engine) -> tuple[TestClient, str, date, date]:
    client = logged_in(TestClient(full_app(sqlite_engine)), sqlite_engine, Role.ADMIN)
    add_staff(sqlite_engine, ("s1", "人社局", "w01"), ("s2", "医保局", "w03"))
    for service in ("social", "social", "medical"):
        assert client.post("/api/queue/tickets", json={"service": service}).status_code == 201
    assert client.post("/api/queue/windows/w01/next").status_code == 200
    today = date.fromisoformat(client.get("/api/duty/demo/chief").json()["today"])
    first = today.replace(day=1)
    return client, f"{today:%Y-%m}", first, today


def test_every_export_is_in_chinese_with_a_bom_and_english_on_request(
    office: tuple[TestClient, str, date, date],
) -> None:
    client, month, first, last = office
    for name, url in exports(month, first, last).items():
        zh, en = client.get(url), client.get(f"{url}&lang=en")
        assert zh.status_code == 200 and en.status_code == 200, (name, zh.text[:300])
        if name.endswith(".csv"):
            assert zh.content.startswith(BOM) and en.content.startswith(BOM), name
            assert zh.headers["content-type"].startswith("text/csv"), name
            rows = list(csv.reader(io.StringIO(zh.content.decode("utf-8-sig"))))
            assert rows and all(CJK.search(h) for h in rows[0]), (name, rows[0])
            assert not [c for r in rows for c in r if CODE.match(c)], (name, rows)
            english = next(csv.reader(io.StringIO(en.content.decode("utf-8-sig"))))
            assert len(english) == len(rows[0]) and not CJK.search("".join(english)), english
        else:
            book = openpyxl.load_workbook(io.BytesIO(zh.content))
            assert all(CJK.search(title) for title in book.sheetnames), (name, book.sheetnames)
            for ws in book:
                head = header_row(ws)
                assert all(CJK.search(str(h)) for h in head), (name, ws.title, head)
            assert not [c for c in cells(book) if CODE.match(str(c))], name
            english = openpyxl.load_workbook(io.BytesIO(en.content))
            assert not CJK.search("".join(english.sheetnames)), (name, english.sheetnames)
            assert not CJK.search("".join(map(str, header_row(english.worksheets[0])))), name
        assert "filename" in zh.headers.get("content-disposition", ""), name


def test_the_windows_and_the_queue_show_by_the_halls_names(
    office: tuple[TestClient, str, date, date],
) -> None:
    client, month, first, last = office
    by_window = client.get(f"/api/attendance/report/{month}?format=csv&by=window")
    rows = list(csv.DictReader(io.StringIO(by_window.content.decode("utf-8-sig"))))
    assert {"1号窗口", "3号窗口"} <= {r["窗口"] for r in rows}, rows
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(exports(month, first, last)["queue.xlsx"]).content)
    )
    served = [r for r in book.worksheets[0].iter_rows(values_only=True)][1:]
    assert any("1号窗口" in r for r in served) and any("社保业务" in r for r in served)
    staff = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/api/attendance/report/{month}?format=xlsx").content)
    )
    assert "每日明细" in staff.sheetnames and "扣款明细" in staff.sheetnames  # rule ATT-9


def test_libreoffice_opens_every_workbook(
    office: tuple[TestClient, str, date, date], tmp_path: Path
) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed here")
    client, month, first, last = office
    names = []
    for name, url in exports(month, first, last).items():
        if name.endswith(".xlsx"):
            (tmp_path / name).write_bytes(client.get(url).content)
            names.append(name)
    done = subprocess.run(
        [
            soffice,
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",  # comma, quote, UTF-8
            "--outdir",
            str(tmp_path / "out"),
            *[str(tmp_path / n) for n in names],
        ],
        capture_output=True,
        timeout=300,
        check=False,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    assert done.returncode == 0, done.stderr
    for name in names:
        text = (tmp_path / "out" / name.replace(".xlsx", ".csv")).read_text(encoding="utf-8")
        assert CJK.search(text.splitlines()[0]) or CJK.search(text.splitlines()[1]), (name, text)
