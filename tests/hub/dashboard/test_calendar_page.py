"""January 2027 in the dashboard (point 18.2): refused in Chinese while the year is not
entered, alerted from 1 November, entered from the State Council's notice on the calendar page
(checked before saving, audited), and then the attendance page and the report work."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.dashboard.calendar_page import CalendarWatch
from hub.demo.seed import seed_staff
from hub.fleet.tables import Alert
from hub.users.accounts import Role, audit_entries
from tests.hub.dashboard.conftest import form_login
from tests.support.auth import PASSWORD, full_app, make_user
from tests.support.notices import NOTICE_2027_TEST
from tests.support.pages import leaks

NOW = datetime(2027, 1, 20, 2, 0, tzinfo=UTC)  # 10:00 in the hall, 20 January 2027
WARNED = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 3 December 2026: next year not entered
NAVIGATE = {"accept": "text/html", "sec-fetch-mode": "navigate"}


def _client(app: Any, engine: Engine, role: Role) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    assert form_login(client, make_user(engine, f"c-{role.value}", role), PASSWORD).status_code
    client.csrf = client.get("/api/auth/me").json()["csrf_token"]  # type: ignore[attr-defined]
    return client


def test_january_2027_from_refusal_to_report(sqlite_engine: Engine, hall_calendar: Path) -> None:
    app = full_app(sqlite_engine, clock=lambda: NOW)
    seed_staff(sqlite_engine, app.state.halls[0])
    office, viewer = (_client(app, sqlite_engine, r) for r in (Role.SUPERVISOR, Role.VIEWER))
    page = office.get("/attendance?day=2027-01-04&month=2027-01")
    assert page.status_code == 422 and "2027 年的节假日安排尚未录入" in page.text
    assert "节假日日历" in page.text and not leaks(page.text)
    report = "/api/attendance/report/2027-01?format=csv"
    assert office.get(report).json()["code"] == "calendar.year_unknown"
    assert "尚未录入" in office.get(report, headers=NAVIGATE).text

    watch = CalendarWatch(sqlite_engine, app.state.halls, lambda: WARNED)
    assert watch.check() == [2027] and watch.check() == [2027]
    with Session(sqlite_engine) as s:
        (alert,) = s.exec(select(Alert).where(Alert.source == "calendar")).all()
        assert (alert.state, alert.occurrences, alert.rule) == ("open", 1, "ATT-10")
    assert "2027 年的节假日安排尚未录入，1月1日起考勤将无法计算" in office.get("/alerts").text

    listing = office.get("/calendar").text
    assert (
        'data-year="2027" data-by="none"' in listing
        and 'data-year="2026" data-by="package"' in listing
    )
    form = {"notice": NOTICE_2027_TEST, "csrf_token": viewer.csrf}  # type: ignore[attr-defined]
    assert viewer.post("/calendar/preview", data=form).status_code == 403
    preview = office.post("/calendar/preview", data={**form, "csrf_token": office.csrf})  # type: ignore[attr-defined]
    assert preview.status_code == 200 and "2027-02-20" in preview.text
    assert not leaks(preview.text), leaks(preview.text)  # the days in words, not the file text
    draft = preview.text.split('name="text" value="')[1].split('"')[0]
    assert not hall_calendar.exists()  # nothing saved before the office checks it
    bad = office.post(
        "/calendar/save", data={"text": "[2027]\nholidays = []", "csrf_token": office.csrf}
    )  # type: ignore[attr-defined]
    assert bad.status_code == 422 and "2027 年没有任何放假日" in bad.text
    saved = office.post(
        "/calendar/save", data={"text": html.unescape(draft), "csrf_token": office.csrf}
    )  # type: ignore[attr-defined]
    assert (
        saved.status_code == 303 and saved.headers["location"] == "/calendar?year=2027&saved=2027"
    )
    assert "[2027]" in hall_calendar.read_text(encoding="utf-8")
    assert any(
        e.action == "calendar.save" and e.entity_id == "2027" for e in audit_entries(sqlite_engine)
    )
    with Session(sqlite_engine) as s:
        (alert,) = s.exec(select(Alert).where(Alert.source == "calendar")).all()
        assert (alert.state, alert.resolved_by) == ("resolved", "auto")
    shown = office.get("/calendar?year=2027").text
    assert "2027-02-20" in shown and not leaks(shown)

    assert office.get("/attendance?day=2027-01-04&month=2027-01").status_code == 200
    csv = office.get(report)
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
