"""Reading attendance facts from CSV files, with errors that name the file and line.

Punches `staff_id,time`; approved leave `staff_id,start,end,kind`; approved corrections
`staff_id,time,reason,approver[,checkpoint]`; staff files one id per line, optionally with
`,start_date,leave_date,daily_wage` (days outside the dates are not judged; the wage prices a
day of absence, rule ATT-9). A header row is optional. Times are ISO 8601 with a UTC offset;
leave start/end may also be dates (whole days).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from hub.attendance.engine import CorrectionFact, Employment, LeaveFact, LeaveKind, PunchFact

T = TypeVar("T")

LEAVE_ALIASES = {
    "事假": "personal",
    "病假": "sick",
    "年假": "annual",
    "婚假": "marriage",
    "产假": "maternity",
    "丧假": "bereavement",
    "因公": "official",
    "探亲假": "home",
    "带薪休假": "paid_annual",
}
"""Chinese names of the leave kinds (rule ATT-5)."""


class FactFileError(ValueError):
    """A fact file is malformed; the message is `file:line: what is wrong`."""


def _rows(
    path: Path, header: tuple[str, ...], optional: int = 0
) -> Iterator[tuple[int, list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise FactFileError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise FactFileError(f"{path}: not UTF-8 text") from None
    for lineno, row in enumerate(csv.reader(text.splitlines()), start=1):
        cells = [c.strip() for c in row]
        if not cells or all(not c for c in cells) or cells[0].startswith("#"):
            continue
        if lineno == 1 and header[: len(cells)] == tuple(c.lower() for c in cells):
            continue
        if not len(header) - optional <= len(cells) <= len(header):
            raise FactFileError(
                f"{path}:{lineno}: expected {len(header) - optional} to {len(header)} fields "
                f"({','.join(header)}), got {len(cells)}"
                if optional
                else f"{path}:{lineno}: expected {len(header)} fields "
                f"({','.join(header)}), got {len(cells)}"
            )
        cells += [""] * (len(header) - len(cells))
        if not cells[0]:
            raise FactFileError(f"{path}:{lineno}: staff_id is empty")
        yield lineno, cells


def _at(path: Path, lineno: int, text: str, what: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise FactFileError(f"{path}:{lineno}: {what} {text!r} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise FactFileError(
            f"{path}:{lineno}: {what} {text!r} has no UTC offset "
            "(write e.g. 2025-04-01T08:25:00+08:00)"
        )
    return at


def _parse(
    path: Path,
    header: tuple[str, ...],
    make: Callable[[int, list[str]], T],
    optional: int = 0,
) -> list[T]:
    out = []
    for lineno, cells in _rows(path, header, optional):
        try:
            out.append(make(lineno, cells))
        except FactFileError:
            raise
        except ValueError as exc:
            raise FactFileError(f"{path}:{lineno}: {exc}") from None
    return out


def read_punches(path: Path) -> list[PunchFact]:
    """Punches from a `staff_id,time` CSV."""
    return _parse(
        path, ("staff_id", "time"), lambda n, c: PunchFact(c[0], _at(path, n, c[1], "time"))
    )


def read_corrections(path: Path) -> list[CorrectionFact]:
    """Approved corrections from a `staff_id,time,reason,approver[,checkpoint]` CSV (ATT-6)."""

    def make(n: int, c: list[str]) -> CorrectionFact:
        if not c[2] or not c[3]:
            raise FactFileError(f"{path}:{n}: a correction needs a reason and an approver")
        if c[3] == c[0]:  # rule ATT-6: never approved by the person it corrects
            raise FactFileError(f"{path}:{n}: {c[0]} cannot approve their own correction")
        at = _at(path, n, c[1], "time")
        return CorrectionFact(c[0], at, c[2], c[3], c[4] or None, f"{path.name}:{n}")

    return _parse(path, ("staff_id", "time", "reason", "approver", "checkpoint"), make, 1)


def read_leaves(path: Path, zone: ZoneInfo) -> list[LeaveFact]:
    """Approved leave from a `staff_id,start,end,kind` CSV (rule ATT-5); dates are whole days."""

    def bound(n: int, text: str, what: str, end: bool) -> datetime:
        if len(text) == 10:
            try:
                day = date.fromisoformat(text)
            except ValueError:
                raise FactFileError(f"{path}:{n}: {what} {text!r} is not a date") from None
            if end:
                return datetime.combine(day + timedelta(days=1), time(), tzinfo=zone) - timedelta(
                    seconds=1
                )
            return datetime.combine(day, time(), tzinfo=zone)
        return _at(path, n, text, what)

    def make(n: int, c: list[str]) -> LeaveFact:
        kind = LEAVE_ALIASES.get(c[3], c[3].lower())
        if kind not in {k.value for k in LeaveKind}:
            kinds = ", ".join(k.value for k in LeaveKind)
            raise FactFileError(f"{path}:{n}: unknown leave kind {c[3]!r}; kinds: {kinds}")
        start, stop = bound(n, c[1], "start", False), bound(n, c[2], "end", True)
        if stop < start:
            raise FactFileError(f"{path}:{n}: leave ends before it starts")
        return LeaveFact(c[0], start, stop, kind, f"{path.name}:{n}")

    return _parse(path, ("staff_id", "start", "end", "kind"), make)


@dataclass(frozen=True, slots=True)
class StaffLine:
    """A staff file's line: the id, the employment dates and the daily wage (yuan)."""

    staff_id: str
    employment: Employment
    daily_wage: float | None = None


def read_staff_lines(path: Path) -> list[StaffLine]:
    """Staff from a `staff_id[,start_date,leave_date,daily_wage]` file (# comments skipped)."""

    def day(n: int, text: str, what: str) -> date | None:
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise FactFileError(f"{path}:{n}: {what} {text!r} is not a date (YYYY-MM-DD)") from None

    def make(n: int, c: list[str]) -> StaffLine:
        if " " in c[0]:
            raise FactFileError(f"{path}:{n}: one staff id per line, got {c[0]!r}")
        first, last = day(n, c[1], "start_date"), day(n, c[2], "leave_date")
        if first and last and last < first:
            raise FactFileError(f"{path}:{n}: leave_date is before start_date")
        wage = None
        if c[3]:
            try:
                wage = float(c[3])
            except ValueError:
                raise FactFileError(f"{path}:{n}: daily_wage {c[3]!r} is not a number") from None
            if not 0 <= wage <= 100_000:
                raise FactFileError(f"{path}:{n}: daily_wage must be 0 to 100000 yuan")
        return StaffLine(c[0], Employment(first, last), wage)

    return _parse(path, ("staff_id", "start_date", "leave_date", "daily_wage"), make, 3)
