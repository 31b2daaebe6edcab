"""Reading attendance facts from CSV files, with errors that name the file and line.

Punches `staff_id,time`; approved leave `staff_id,start,end,kind`; approved corrections
`staff_id,time,reason,approver`; staff files one id per line. A header row is optional.
Times are ISO 8601 with a UTC offset; leave start/end may also be dates (whole days).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from hub.attendance.engine import CorrectionFact, LeaveFact, LeaveKind, PunchFact

T = TypeVar("T")

LEAVE_ALIASES = {
    "事假": "personal",
    "病假": "sick",
    "年假": "annual",
    "婚假": "marriage",
    "产假": "maternity",
    "丧假": "bereavement",
    "因公": "official",
}
"""Chinese names of the leave kinds (rule ATT-5)."""


class FactFileError(ValueError):
    """A fact file is malformed; the message is `file:line: what is wrong`."""


def _rows(path: Path, header: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
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
        if lineno == 1 and tuple(c.lower() for c in cells) == header:
            continue
        if len(cells) != len(header):
            raise FactFileError(
                f"{path}:{lineno}: expected {len(header)} fields "
                f"({','.join(header)}), got {len(cells)}"
            )
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


def _parse(path: Path, header: tuple[str, ...], make: Callable[[int, list[str]], T]) -> list[T]:
    out = []
    for lineno, cells in _rows(path, header):
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
    """Approved corrections from a `staff_id,time,reason,approver` CSV (rule ATT-6)."""

    def make(n: int, c: list[str]) -> CorrectionFact:
        if not c[2] or not c[3]:
            raise FactFileError(f"{path}:{n}: a correction needs a reason and an approver")
        return CorrectionFact(c[0], _at(path, n, c[1], "time"), c[2], c[3])

    return _parse(path, ("staff_id", "time", "reason", "approver"), make)


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
        return LeaveFact(c[0], start, stop, kind)

    return _parse(path, ("staff_id", "start", "end", "kind"), make)


def read_staff(path: Path) -> list[str]:
    """Staff ids, one per line (blank lines and # comments skipped)."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise FactFileError(f"{path}: cannot read: {exc.strerror}") from None
    out = []
    for lineno, line in enumerate(lines, start=1):
        sid = line.strip()
        if not sid or sid.startswith("#"):
            continue
        if "," in sid or " " in sid:
            raise FactFileError(f"{path}:{lineno}: one staff id per line, got {sid!r}")
        out.append(sid)
    return out
