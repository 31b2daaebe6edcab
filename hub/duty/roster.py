"""The monthly roster (排班表, rule DUTY-1): rows a hall office writes, checked and expanded (pure).

A row is `staff_id, date, seat, role`. `date` is a day (2026-12-07), a month (2026-12: every
workday of it) or a range (2026-12-07~2026-12-11: its workdays). `seat` is a seat id, or a
window id (a one-seat window's seat; the window itself for its chief representative). `role`
is A, B or chief (A岗, B岗, 首席代表). A day that is not a workday is holiday duty by
appointment (ATT-10), recorded as overtime (加班) for approval. Problems are `RosterIssue`s
with a catalogue key and the row's line, so the interface says them in the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from models.layout import Hall


class Role(StrEnum):
    """A rostered role (rule DUTY-1, POST-7)."""

    A = "A"
    B = "B"
    CHIEF = "chief"  # the window's chief representative (首席代表)


ROLE_WORDS: dict[str, Role] = {
    "a": Role.A,
    "a岗": Role.A,
    "b": Role.B,
    "b岗": Role.B,
    "chief": Role.CHIEF,
    "首席代表": Role.CHIEF,
    "首席": Role.CHIEF,
}
HEADERS: dict[str, str] = {
    "staff_id": "staff_id",
    "工号": "staff_id",
    "date": "date",
    "日期": "date",
    "seat": "seat",
    "岗位": "seat",
    "窗口/岗位": "seat",
    "role": "role",
    "岗别": "role",
    "角色": "role",
}
"""Column names an office may use (English or Chinese) and the field each one is."""
TEMPLATE_HEADER = ("工号", "日期", "岗位", "岗别")
COLUMNS = ("staff_id", "date", "seat", "role")


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One rostered staff-day: who, which day, which seat (or window for chief), which role."""

    staff_id: str
    day: date
    window: str
    seat: str | None
    role: Role
    holiday: bool = False


@dataclass(frozen=True, slots=True)
class RosterIssue:
    """A problem with the roster: a catalogue key, its values, and the line (0: whole file)."""

    key: str
    line: int = 0
    values: tuple[tuple[str, str], ...] = ()
    error: bool = True

    def params(self) -> dict[str, str]:
        """The values as keyword arguments for the catalogue's format string."""
        return {**dict(self.values), "line": str(self.line)}


def issue(key: str, line: int = 0, *, error: bool = True, **values: object) -> RosterIssue:
    """A RosterIssue with its values as strings."""
    return RosterIssue(key, line, tuple((k, str(v)) for k, v in values.items()), error)


@dataclass
class Parsed:
    """Entries read from rows, and what was wrong with them."""

    entries: list[RosterEntry] = field(default_factory=list)
    issues: list[RosterIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No error (warnings allowed)."""
        return not any(i.error for i in self.issues)


def month_key(day: date) -> str:
    """YYYY-MM of a day."""
    return f"{day.year:04d}-{day.month:02d}"


def month_days(month: str) -> tuple[date, date]:
    """First and last day of YYYY-MM (ValueError when it is not one)."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", month.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"month must be YYYY-MM, not {month!r}")
    first = date(int(m.group(1)), int(m.group(2)), 1)
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def filing_deadline(month: str, zone: ZoneInfo) -> datetime:
    """Rule DUTY-1: next month's roster is filed before the month ends, i.e. before day one."""
    first, _ = month_days(month)
    return datetime.combine(first, datetime.min.time(), zone)


def expand_days(text: str, workday: Callable[[date], bool]) -> tuple[list[date], bool]:
    """The days a date cell names, and whether it named a single explicit day."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}", text):
        first, last = month_days(text)
        return [d for d in _span(first, last) if workday(d)], False
    parts = re.split(r"\s*(?:~|～|至|\.\.)\s*", text)
    if len(parts) == 2:
        a, b = date.fromisoformat(parts[0]), date.fromisoformat(parts[1])
        if b < a:
            raise ValueError("range ends before it starts")
        return [d for d in _span(a, b) if workday(d)], False
    return [date.fromisoformat(text)], True


def _span(a: date, b: date) -> Iterable[date]:
    d = a
    while d <= b:
        yield d
        d += timedelta(days=1)


def _place(hall: Hall, text: str, role: Role) -> tuple[str, str | None] | None:
    """(window, seat) a seat cell names, or None."""
    for w in hall.windows:
        if text in w.seats:
            return w.id, (None if role is Role.CHIEF else text)
        if text == w.id:
            if role is Role.CHIEF:
                return w.id, None
            if len(w.seats) == 1:
                return w.id, w.seats[0]
    return None


def parse_rows(
    rows: Iterable[tuple[int, Mapping[str, str]]],
    hall: Hall,
    *,
    known_staff: set[str] | None,
    workday: Callable[[date], bool],
    month: str | None = None,
) -> Parsed:
    """Read (line, row) pairs into entries; every problem is an issue naming its line."""
    out = Parsed()
    first, last = month_days(month) if month else (None, None)
    for line, row in rows:
        values = {k: (row.get(k) or "").strip() for k in COLUMNS}
        if not any(values.values()):
            continue
        missing = [k for k in COLUMNS if not values[k]]
        if missing:
            out.issues.append(issue("roster_err_missing", line, columns=",".join(missing)))
            continue
        role = ROLE_WORDS.get(values["role"].lower())
        if role is None:
            out.issues.append(issue("roster_err_role", line, role=values["role"]))
            continue
        place = _place(hall, values["seat"], role)
        if place is None:
            out.issues.append(issue("roster_err_seat", line, seat=values["seat"]))
            continue
        staff = values["staff_id"]
        if known_staff is not None and staff not in known_staff:
            out.issues.append(issue("roster_err_staff", line, staff=staff))
            continue
        try:
            days, explicit = expand_days(values["date"], workday)
        except ValueError:
            out.issues.append(issue("roster_err_date", line, date=values["date"]))
            continue
        for d in days:
            if first is not None and last is not None and not first <= d <= last:
                out.issues.append(issue("roster_err_month", line, date=d, month=month))
                break
            holiday = explicit and not workday(d)  # rule ATT-10: holiday duty by appointment
            out.entries.append(RosterEntry(staff, d, place[0], place[1], role, holiday))
    out.issues.extend(check_entries(out.entries, hall))
    return out


def check_entries(entries: Sequence[RosterEntry], hall: Hall) -> list[RosterIssue]:
    """Clashes (errors) and seats left without an A holder on a rostered day (warnings)."""
    issues: list[RosterIssue] = []
    seat_role: dict[tuple[date, str, Role], str] = {}
    staff_a: dict[tuple[date, str], str] = {}
    seen: set[tuple[str, date, str, str | None, Role]] = set()
    for e in entries:
        key = (e.staff_id, e.day, e.window, e.seat, e.role)
        if key in seen:
            continue
        seen.add(key)
        place = e.window if e.role is Role.CHIEF else (e.seat or e.window)
        slot: tuple[date, str, Role] = (e.day, place, e.role)
        other = seat_role.setdefault(slot, e.staff_id)
        if other != e.staff_id:
            issues.append(
                issue(
                    "roster_err_two_holders",
                    day=e.day,
                    seat=slot[1],
                    role=e.role.value,
                    staff=f"{other}, {e.staff_id}",
                )
            )
        if e.role is Role.A:
            held = staff_a.setdefault((e.day, e.staff_id), e.seat or "")
            if held != (e.seat or ""):
                issues.append(
                    issue(
                        "roster_err_two_seats",
                        day=e.day,
                        staff=e.staff_id,
                        seat=f"{held}, {e.seat}",
                    )
                )
    for (day, seat, role), staff in seat_role.items():
        if role is Role.B and seat_role.get((day, seat, Role.A)) == staff:
            issues.append(issue("roster_err_a_is_b", day=day, seat=seat, staff=staff))
    days = sorted({e.day for e in entries if not e.holiday})
    for w in hall.windows:
        empty = [d for d in days if not any((d, s, Role.A) in seat_role for s in w.seats)]
        if empty:  # rule DUTY-1: 杜绝前台窗口空岗
            shown = ", ".join(d.strftime("%m-%d") for d in empty[:5])
            more = "…" if len(empty) > 5 else ""
            issues.append(
                issue("roster_warn_no_a", window=w.id, days=f"{shown}{more}", error=False)
            )
    return issues


def dedupe(entries: Iterable[RosterEntry]) -> list[RosterEntry]:
    """Entries without repeats, sorted by day, window, seat, role, staff."""
    unique = {(e.day, e.window, e.seat or "", e.role.value, e.staff_id): e for e in entries}
    return [unique[k] for k in sorted(unique)]


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two versions of a month's roster (for the audit trail)."""

    action: str  # added / removed
    entry: RosterEntry


def diff(old: Iterable[RosterEntry], new: Iterable[RosterEntry]) -> list[Change]:
    """What a new version adds and removes."""
    a, b = set(dedupe(old)), set(dedupe(new))
    out = [Change("removed", e) for e in a - b] + [Change("added", e) for e in b - a]
    return sorted(out, key=lambda c: (c.entry.day, c.entry.window, c.entry.seat or "", c.action))
