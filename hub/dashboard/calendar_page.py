"""The holiday calendar page (节假日日历): which years are known, each year's days off and
make-up workdays, and entering a year from the State Council's notice (rule ATT-10, point
18.2); and the watch that alerts from 1 November when next year is not entered."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.engine import Engine

from hub.attendance import calendar as cal
from hub.attendance.calendar_file import YearDays, dump_calendar, parse_calendar, parse_notice
from hub.dashboard.routes import DashDep, PageOp
from hub.dashboard.web import render
from hub.db import session_scope
from hub.fleet.alerts import auto_resolve, feed, is_open, raise_alert
from hub.users.accounts import Role, audit
from hub.users.security import check_csrf
from models.layout import Hall

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
EDITORS = (Role.ADMIN, Role.SUPERVISOR)


def package_days(year: int) -> tuple[dict[date, str], dict[date, str]]:
    """The national package's days off and make-up workdays of `year` (empty if unknown)."""
    off: dict[date, str] = {}
    makeup: dict[date, str] = {}
    if year not in cal.PACKAGE_YEARS:
        return off, makeup
    day = date(year, 1, 1)
    while day.year == year:
        kind = cal.national_day_kind(day)
        if kind is cal.DayKind.HOLIDAY:
            off[day] = ""
        elif kind is cal.DayKind.MAKEUP:
            makeup[day] = ""
        day += timedelta(days=1)
    return off, makeup


def differences(mine: YearDays) -> list[date]:
    """Days the hall's entry and the package disagree on (when both know the year)."""
    off, makeup = package_days(mine.year)
    if not off:
        return []
    return sorted(set(off) ^ set(mine.holiday_days()) | set(makeup) ^ set(mine.makeup_days()))


def _context(dash: Any, year: int | None, **extra: Any) -> dict[str, Any]:
    today = dash.clock().astimezone(ZoneInfo(dash.halls[0].timezone)).date()
    year = year or today.year
    hall_years = cal.hall_years().years()
    mine = hall_years.get(year)
    off, makeup = (mine.holiday_days(), mine.makeup_days()) if mine else package_days(year)
    return {
        "year": year,
        "today": today,
        "coverage": [(y, cal.coverage(y) or "none") for y in range(today.year - 1, today.year + 3)],
        "off": sorted(off.items()),
        "makeup": sorted(makeup.items()),
        "known": cal.coverage(year),
        "differs": differences(mine) if mine else [],
        "missing": cal.year_to_enter(today),
        "package_years": cal.PACKAGE_YEARS,
        **extra,
    }


@router.get("/calendar", response_class=HTMLResponse)
def calendar_page(
    request: Request, op: PageOp, dash: DashDep, year: int | None = None, saved: int | None = None
) -> HTMLResponse:
    """Years known, the chosen year's days, and the form to enter a year."""
    if year is not None and not 2000 <= year <= 2100:
        year = None
    context = _context(dash, year, saved=saved, can_edit=op.role in EDITORS)
    return render(request, "calendar.html", op, context)


@router.post("/calendar/preview", response_class=HTMLResponse)
def calendar_preview(
    request: Request,
    op: PageOp,
    dash: DashDep,
    notice: Annotated[str, Form(max_length=20_000)] = "",
    year: Annotated[int | None, Form(ge=2000, le=2100)] = None,
    csrf_token: Annotated[str | None, Form()] = None,
) -> HTMLResponse:
    """The notice read into the calendar file's format, to check before saving."""
    check_csrf(request, csrf_token)
    if op.role not in EDITORS:
        raise HTTPException(403, "forbidden.calendar")
    days = parse_notice(notice, year)  # a CalendarFileError is worded by the error page
    context = _context(dash, days.year, can_edit=True, draft=dump_calendar({days.year: days}))
    context.update(  # checked in words, day by day; the file text goes back in a hidden field
        preview=days,
        off=sorted(days.holiday_days().items()),
        makeup=sorted(days.makeup_days().items()),
    )
    return render(request, "calendar.html", op, context)


@router.post("/calendar/save")
def calendar_save(
    request: Request,
    op: PageOp,
    dash: DashDep,
    text: Annotated[str, Form(max_length=20_000)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    """Save the years of the checked calendar text (admin, supervision office; audited)."""
    check_csrf(request, csrf_token)
    if op.role not in EDITORS:
        raise HTTPException(403, "forbidden.calendar")
    years = parse_calendar(text)
    if not years:
        raise HTTPException(422, "calendar.no_holidays")
    for days in years.values():
        cal.hall_years().save(days)
        audit(
            request.app.state.engine,
            actor=op.username,
            action="calendar.save",
            entity="calendar",
            entity_id=days.year,
            why=days.source,
            after={"holidays": len(days.holiday_days()), "workdays": len(days.workdays)},
        )
    CalendarWatch(request.app.state.engine, dash.halls, dash.clock).check()
    first = min(years)
    return RedirectResponse(f"/calendar?year={first}&saved={first}", status_code=303)


class CalendarWatch:
    """From 1 November, an alert per hall while next year's holidays are not entered."""

    def __init__(
        self,
        engine: Engine,
        halls: list[Hall],
        clock: Callable[[], datetime],
        interval_s: float = 3600.0,
    ) -> None:
        """Watch the calendar for these halls' local days."""
        self.engine, self.halls, self.clock, self.interval_s = engine, halls, clock, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> list[int]:
        """Raise or clear each hall's alert; the years found missing."""
        now = self.clock()
        missing = []
        with session_scope(self.engine) as session:
            for hall in self.halls:
                for alert in feed(session, hall=hall.id, source="calendar"):
                    year = int(alert.kind.rsplit(":", 1)[-1])
                    if alert.device == "calendar" and cal.coverage(year) is not None:
                        auto_resolve(session, alert, now)  # the year has been entered
                today = now.astimezone(ZoneInfo(hall.timezone)).date()
                year_missing = cal.year_to_enter(today)
                if year_missing is None:
                    continue
                missing.append(year_missing)
                kind = f"year_missing:{year_missing}"
                if is_open(session, hall=hall.id, subject="calendar", kind=kind):
                    continue
                raise_alert(  # rule ATT-10
                    session,
                    hall=hall.id,
                    subject="calendar",
                    kind=kind,
                    now=now,
                    source="calendar",
                    severity="error",
                    words="calendar.next_year_missing",
                    values={"year": year_missing},
                    rule="ATT-10",
                )
        return missing

    def start(self) -> CalendarWatch:
        """Check now and then every interval, in a daemon thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="calendar-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while True:
            try:
                self.check()
            except Exception:
                logger.exception("calendar watch failed; will retry")
            if self._stop.wait(self.interval_s):
                return
