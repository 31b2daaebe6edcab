"""Exports for a Chinese office (point 18.8): UTF-8 BOM CSV, XLSX sheets and headers in
Chinese (English with ?lang=en), opened with openpyxl and converted by LibreOffice headless."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from hub.dashboard.i18n import CATALOGUE
from hub.exports import Sheet, csv_bytes, download, xlsx_bytes
from hub.users.accounts import Role
from tests.support.auth import full_app, logged_in

SHEET = Sheet(
    "queue.sheet.windows",
    ("key", "tickets", "mean_wait_min"),
    [{"key": "1号窗口", "tickets": 12, "mean_wait_min": 4.5}],
    "queue.col.window_",
    "queue.col.",
)


def test_csv_has_the_bom_excel_needs_and_headers_in_words() -> None:
    data = csv_bytes("zh-CN", SHEET)
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["窗口", "取号数", "平均等候（分钟）"], ["1号窗口", "12", "4.5"]]
    english = next(csv.reader(io.StringIO(csv_bytes("en", SHEET).decode("utf-8-sig"))))
    assert english == ["Window", "Tickets", "Mean wait (min)"]


def test_xlsx_sheets_are_named_in_words_and_libreoffice_reads_them(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes("zh-CN", [SHEET])))
    assert book.sheetnames == ["按窗口"]
    assert [c.value for c in book["按窗口"][1]] == ["窗口", "取号数", "平均等候（分钟）"]
    assert book["按窗口"]["B2"].value == 12
    response = download("zh-CN", "exports.queue", "demo-2026-12", "xlsx", [SHEET])
    disposition = response.headers["content-disposition"]
    assert 'filename="demo-2026-12.xlsx"' in disposition
    assert unquote(disposition.split("UTF-8''")[1]) == "排队明细-demo-2026-12.xlsx"
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed here")
    (tmp_path / "q.xlsx").write_bytes(response.body)
    done = subprocess.run(
        [
            soffice,
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",  # comma, quote, UTF-8
            "--outdir",
            str(tmp_path),
            str(tmp_path / "q.xlsx"),
        ],
        capture_output=True,
        timeout=120,
        check=False,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "q.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "窗口,取号数,平均等候（分钟）"


def test_the_queue_export_lists_each_ticket_by_the_halls_names(sqlite_engine: Engine) -> None:
    client = logged_in(TestClient(full_app(sqlite_engine)), sqlite_engine, Role.ADMIN)
    for service in ("social", "social", "medical"):
        assert client.post("/api/queue/tickets", json={"service": service}).status_code == 201
    assert client.post("/api/queue/windows/w01/next").status_code == 200
    csv_text = client.get("/api/queue/export", params={"format": "csv"}).content
    rows = list(csv.DictReader(io.StringIO(csv_text.decode("utf-8-sig"))))
    assert [r["业务"] for r in rows] == ["社保业务", "社保业务", "医保业务"]
    assert rows[0]["窗口"] == "1号窗口" and rows[0]["叫号时间"]
    book = openpyxl.load_workbook(io.BytesIO(client.get("/api/queue/export?lang=en").content))
    assert book.sheetnames == ["Tickets", "By service", "By window", "By hour"]
    bad = client.get("/api/queue/export", params={"start": "2026-12-03", "end": "2026-01-01"})
    assert bad.status_code == 422 and bad.json()["code"] == "queue.export_range"
    assert bad.json()["detail"] == CATALOGUE["zh-CN"]["queue.export_range"]  # words, not a key
