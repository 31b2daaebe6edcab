"""Exports for a Chinese office (point 18.8): CSV in UTF-8 with the byte-order mark Excel needs,
XLSX with named sheets, column headers and sheet names in words (zh-CN; English with ?lang=en).

Callers give sheets of rows keyed by column codes and a catalogue prefix for the headers
(`compliance.col.` + `away_min`); the words come from the message catalogue.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response

from hub.dashboard.i18n import choose_lang, has, translator

BOM = "\ufeff"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class Sheet:
    """One table of an export: its name key, column codes and rows (dicts by column code)."""

    title_key: str
    columns: Sequence[str]
    rows: Sequence[Mapping[str, Any]]
    prefix: str = ""
    fallback: str = ""
    """A second header prefix for columns the first has no words for."""


def export_lang(request: Request) -> str:
    """zh-CN unless ?lang=en (or the reader's language cookie) asks for English."""
    from hub.dashboard.i18n import COOKIE

    return choose_lang(request.query_params.get("lang"), request.cookies.get(COOKIE))


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def headers(lang: str, sheet: Sheet) -> list[str]:
    """The sheet's column headers in words."""
    t = translator(lang)
    keys = [f"{sheet.prefix}{c}" for c in sheet.columns]
    if sheet.fallback:
        keys = [
            k if has(k) else f"{sheet.fallback}{c}"
            for k, c in zip(keys, sheet.columns, strict=True)
        ]
    return [t(k) for k in keys]


def csv_bytes(lang: str, sheet: Sheet) -> bytes:
    """One sheet as CSV: UTF-8 with BOM (Excel opens the Chinese), CRLF lines."""
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers(lang, sheet))
    for row in sheet.rows:
        writer.writerow([_cell(row.get(c)) for c in sheet.columns])
    return buf.getvalue().encode("utf-8")


def xlsx_bytes(lang: str, sheets: Sequence[Sheet]) -> bytes:
    """Every sheet in one workbook, sheet names and headers in words, header row bold."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    t = translator(lang)
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(t(sheet.title_key)[:31])
        ws.append(headers(lang, sheet))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            ws.append([_cell(row.get(c)) for c in sheet.columns])
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def download(lang: str, name_key: str, stem: str, fmt: str, sheets: Sequence[Sheet]) -> Response:
    """The export as a download: CSV (first sheet) or XLSX, file name in words (RFC 5987)."""
    if fmt == "csv":
        body, media = csv_bytes(lang, sheets[0]), "text/csv; charset=utf-8"
    else:
        body, media = xlsx_bytes(lang, sheets), XLSX
    words = f"{translator(lang)(name_key)}-{stem}.{fmt}"
    ascii_name = f"{stem}.{fmt}".encode("ascii", "replace").decode()
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(words)}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})
