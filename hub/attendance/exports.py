"""Attendance exports for a Chinese office: CSV (UTF-8 with BOM) and XLSX, headers in words.

Words come from the message catalogue through `t` (the caller's translator: zh-CN by default,
English with `?lang=en`); statuses, leave kinds and checkpoint names are never bare codes.
The XLSX has the month per staff member, window and unit, a per-day sheet, the penalty lines
(rule ATT-9) and an about sheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from hub.attendance.reports import MonthReport, ReportRow

Translate = Callable[[str], str]

BOM = "\ufeff"
"""Excel reads a CSV as UTF-8 only when it starts with this mark."""


def word(t: Translate, key: str, fallback: str) -> str:
    """The catalogue's word for `key`, else `fallback` (a policy's own checkpoint name)."""
    text = t(key)
    return fallback if text == key else text


def columns(rows: Sequence[ReportRow]) -> list[str]:
    """The flat columns of report rows."""
    return list(rows[0].flat() if rows else ReportRow("x").flat())


def header(t: Translate, column: str) -> str:
    """A column's heading."""
    return t(f"att.col.{column}")


def shown(row: ReportRow, windows: Mapping[str, str]) -> dict[str, Any]:
    """A row's flat columns, windows by the names the hall uses (3号窗口, never w03)."""
    flat = row.flat()
    named = windows.get(flat["window"])
    if named is not None:
        if flat["key"] == flat["window"]:  # a window's row (by="window")
            flat["key"] = named
        flat["window"] = named
    return flat


def to_csv(
    rows: Sequence[ReportRow], t: Translate, windows: Mapping[str, str] | None = None
) -> str:
    """Report rows as CSV text: the BOM, a header row of words, then one row per line."""
    buf = io.StringIO()
    cols = columns(rows)
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([header(t, c) for c in cols])
    for r in rows:
        flat = shown(r, windows or {})
        writer.writerow(["" if flat[c] is None else flat[c] for c in cols])
    return BOM + buf.getvalue()


def status_text(t: Translate, cp: dict[str, Any]) -> str:
    """A checkpoint's verdict in words: 迟到 12分钟, 已补卡, 请假(病假), ..."""
    status = str(cp["status"])
    text = t(f"att.status.{status}")
    if cp.get("minutes"):
        text += " " + t("att.minutes").format(n=cp["minutes"])
    if status == "leave" and cp.get("leave_kind"):
        text += f"({t(str(cp['leave_kind']))})"
    if cp.get("corrected"):
        text += " · " + t("att.corrected")
    if cp.get("early_punch"):
        text += " · " + t("att.early_punch")
    return text


def day_sheet(
    report: MonthReport,
    t: Translate,
    zone: ZoneInfo,
    names: Sequence[str],
    windows: Mapping[str, str] | None = None,
) -> tuple[list[str], list[list[Any]]]:
    """The per-day sheet: one row per staff member and day, time and verdict per checkpoint."""
    info = {r.key: r for r in report.staff}
    head = [header(t, "key"), header(t, "name"), header(t, "window"), t("att.col.day")]
    for n in names:
        cp = word(t, f"att.checkpoint.{n}", n)
        head += [f"{cp} {t('att.col.time')}", f"{cp} {t('att.col.status')}"]
    by_day: dict[tuple[str, Any], dict[str, dict[str, Any]]] = {}
    for r in report.days:
        by_day.setdefault((r["staff_id"], r["day"]), {})[r["checkpoint"]] = r
    out = []
    for (sid, day), cps in sorted(by_day.items()):
        person = info.get(sid)
        window = (windows or {}).get(person.window, person.window) if person else ""
        row: list[Any] = [sid, person.name if person else "", window]
        row.append(day.isoformat())
        for n in names:
            judged = cps.get(n)
            if judged is None:
                row += ["", ""]
                continue
            at = judged.get("punch_at")
            row.append(at.astimezone(zone).strftime("%H:%M") if at else "")
            row.append(status_text(t, judged))
        out.append(row)
    return head, out


def penalty_sheet(report: MonthReport, t: Translate) -> tuple[list[str], list[list[Any]]]:
    """The penalty lines of every staff member (rule ATT-9): what, how many, price, sum."""
    head = [
        header(t, "key"),
        header(t, "name"),
        t("att.col.item"),
        t("att.col.rule"),
        t("att.col.count"),
        t("att.col.yuan_each"),
        t("att.col.yuan"),
        header(t, "days_pay_days"),
        t("att.col.setting"),
    ]
    out = []
    for r in report.staff:
        for line in r.lines:
            out.append(
                [
                    r.key,
                    r.name,
                    t(f"att.penalty.{line.item}"),
                    line.rule,
                    line.count,
                    line.yuan_each,
                    line.yuan,
                    line.days_pay,
                    line.setting,
                ]
            )
    return head, out


def to_xlsx(
    report: MonthReport,
    t: Translate,
    zone: ZoneInfo,
    names: Sequence[str],
    windows: Mapping[str, str] | None = None,
) -> bytes:
    """The report as an XLSX workbook: staff, windows, units, per day, penalties, about."""
    from openpyxl import Workbook

    wb = Workbook()
    sheets: list[tuple[str, list[str], list[list[Any]]]] = []
    for title, report_rows in (
        ("att.sheet.staff", report.staff),
        ("att.sheet.windows", report.windows),
        ("att.sheet.units", report.units),
    ):
        cols = columns(report_rows)
        sheets.append(
            (
                t(title),
                [header(t, c) for c in cols],
                [[shown(r, windows or {})[c] for c in cols] for r in report_rows],
            )
        )
    sheets.append((t("att.sheet.days"), *day_sheet(report, t, zone, names, windows)))
    sheets.append((t("att.sheet.penalties"), *penalty_sheet(report, t)))
    about = [
        [t("att.col.month"), report.month],
        [t("att.col.hall"), report.hall],
        [t("att.col.policy"), report.policy],
        [t("att.col.closed"), t("yes") if report.closed else t("no")],
        [t("att.col.to_date"), report.to_date.isoformat() if report.to_date else ""],
    ]
    sheets.append((t("att.sheet.about"), [t("att.col.item"), t("att.col.value")], about))
    first = True
    for title, head, rows in sheets:
        ws = wb.active if first else wb.create_sheet()
        first = False
        assert ws is not None
        ws.title = title[:31]  # Excel's limit
        ws.append(head)
        for values in rows:
            ws.append(values)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
