"""Roster files as a hall office writes them: CSV (UTF-8 with or without BOM, or GBK, as Excel
saves it in China) and XLSX; and the downloadable template (rule DUTY-1)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime

from hub.duty.roster import HEADERS, TEMPLATE_HEADER, RosterEntry, RosterIssue

ROLE_LABELS = {"A": "A岗", "B": "B岗", "chief": "首席代表"}


class RosterFileError(ValueError):
    """The file cannot be read as a roster; `key` and `values` say why (catalogue words)."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(key)
        self.issue = RosterIssue(key, 0, tuple(values.items()))


def _text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError("roster_err_encoding")


def _mapped(header: Sequence[str]) -> list[str | None]:
    names = [
        HEADERS.get(str(h or "").strip().lower(), HEADERS.get(str(h or "").strip())) for h in header
    ]
    missing = [c for c in ("staff_id", "date", "seat", "role") if c not in names]
    if missing:
        raise RosterFileError("roster_err_header", columns=",".join(missing))
    return names


def _rows(table: Iterable[Sequence[object]]) -> Iterator[tuple[int, dict[str, str]]]:
    it = iter(table)
    try:
        header = next(it)
    except StopIteration:
        raise RosterFileError("roster_err_empty") from None
    names = _mapped([str(h) if h is not None else "" for h in header])
    for line, row in enumerate(it, start=2):
        out: dict[str, str] = {}
        for name, cell in zip(names, row, strict=False):
            if name is not None:
                out[name] = _cell(cell)
        yield line, out


def _cell(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def read_roster(data: bytes, filename: str = "") -> list[tuple[int, dict[str, str]]]:
    """(line, row) pairs of a CSV or XLSX roster file; RosterFileError when unreadable."""
    if data[:2] == b"PK" or filename.lower().endswith(".xlsx"):
        return list(_rows(_xlsx_table(data)))
    text = _text(data)
    return list(_rows(csv.reader(io.StringIO(text))))


def _xlsx_table(data: bytes) -> list[tuple[object, ...]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError):
        raise RosterFileError("roster_err_xlsx") from None
    sheet = book.worksheets[0]
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def template_rows(entries: Sequence[RosterEntry]) -> list[tuple[str, str, str, str]]:
    """Rows of the template: the roster in force (or the example the caller gives)."""
    return [
        (e.staff_id, e.day.isoformat(), e.seat or e.window, ROLE_LABELS[e.role.value])
        for e in entries
    ]


def template_csv(rows: Sequence[tuple[str, str, str, str]]) -> bytes:
    """The template as CSV with a BOM (Excel opens it with the Chinese headers right)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(TEMPLATE_HEADER)
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def template_xlsx(
    rows: Sequence[tuple[str, str, str, str]], notes: Mapping[str, str] | None = None
) -> bytes:
    """The template as XLSX: the roster sheet, and a sheet explaining the columns."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "排班表"
    sheet.append(list(TEMPLATE_HEADER))
    for row in rows:
        sheet.append(list(row))
    for col, width in zip("ABCD", (12, 24, 12, 12), strict=True):
        sheet.column_dimensions[col].width = width
    if notes:
        help_sheet = book.create_sheet("说明")
        for k, v in notes.items():
            help_sheet.append([k, v])
        help_sheet.column_dimensions["A"].width = 14
        help_sheet.column_dimensions["B"].width = 90
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def read_expected(
    data: bytes, filename: str, workday: Callable[[date], bool]
) -> tuple[set[tuple[str, date]], list[RosterIssue]]:
    """(staff, day) pairs a roster file expects at work (rule DUTY-1), for judging without a
    hall layout (`hallkeeper attendance judge --roster`): `staff_id,date,seat,role`, the date a
    day, a month or a range; problems name their line."""
    from hub.duty.roster import ROLE_WORDS, expand_days

    pairs: set[tuple[str, date]] = set()
    issues: list[RosterIssue] = []
    try:
        rows = read_roster(data, filename)
    except RosterFileError as exc:
        return pairs, [exc.issue]
    for line, row in rows:
        values = {k: (row.get(k) or "").strip() for k in ("staff_id", "date", "seat", "role")}
        if not any(values.values()):
            continue
        missing = [k for k, v in values.items() if not v]
        if missing:
            issues.append(
                RosterIssue("roster_err_missing", line, (("columns", ",".join(missing)),))
            )
            continue
        if values["role"].lower() not in ROLE_WORDS:
            issues.append(RosterIssue("roster_err_role", line, (("role", values["role"]),)))
            continue
        try:
            days, _explicit = expand_days(values["date"], workday)
        except ValueError:
            issues.append(RosterIssue("roster_err_date", line, (("date", values["date"]),)))
            continue
        pairs.update((values["staff_id"], d) for d in days)
    return pairs, issues
