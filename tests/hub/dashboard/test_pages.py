"""Dashboard pages without a browser: login, roles, languages, the hall map, leave approval."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.compliance.tables import SeatAssignment
from hub.ingest.hooks import IngestBatch
from hub.users.accounts import Role, audit_entries
from models.envelope import make_envelope
from models.events import AwaySign, EventType, Presence
from tests.hub.attendance.dbhelpers import add_staff
from tests.hub.dashboard.conftest import form_login

PAGES = ("/", "/devices", "/attendance", "/compliance", "/queue", "/alerts", "/ratings")


def test_pages_need_a_login_and_the_form_logs_in(app: Any, sqlite_engine: Engine) -> None:
    from tests.support.auth import PASSWORD, make_user

    client = TestClient(app, follow_redirects=False)
    for page in (*PAGES, "/audit", "/fragments/hallmap"):
        r = client.get(page)
        assert r.status_code == 303 and r.headers["location"] == f"/login?next={page}", page
    assert client.get("/live/stream").status_code == 401
    make_user(sqlite_engine, "li")
    forged = client.post("/login", data={"username": "li", "password": PASSWORD})
    assert forged.status_code == 403 and "已过期" in forged.text  # no login CSRF
    bad = form_login(client, "li", "nope", "/devices")
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text
    ok = form_login(client, "li", PASSWORD, "https://evil.example/")
    assert ok.status_code == 303 and ok.headers["location"] == "/"  # only local paths
    assert "HttpOnly" in ok.headers["set-cookie"]
    devices = client.get("/devices")
    assert devices.status_code == 200 and devices.headers["x-frame-options"] == "DENY"


def test_every_page_for_a_viewer_in_both_languages(
    browser_as: Callable[[Role], TestClient],
) -> None:
    viewer = browser_as(Role.VIEWER)
    for page in PAGES:
        r = viewer.get(page)
        assert r.status_code == 200, (page, r.text[:300])
        assert 'lang="zh-CN"' in r.text
    assert "大厅实况" in viewer.get("/").text
    en = viewer.get("/?lang=en")
    assert 'lang="en"' in en.text and "Live hall" in en.text
    assert "hk_lang=en" in en.headers["set-cookie"]
    assert 'lang="en"' in viewer.get("/devices").text  # the cookie keeps the choice
    assert viewer.get("/audit").status_code == 403
    assert "/audit" not in viewer.get("/").text  # not in the navigation either
    r = viewer.post("/devices/opening-check", data={"csrf_token": viewer.csrf})
    assert r.status_code == 403
    assert "<svg" in viewer.get("/devices").text  # the status chart


def test_hall_map_shows_the_away_sign_and_presence(app: Any, sqlite_engine: Engine) -> None:
    add_staff(sqlite_engine, ("s1", "tax", "w01"))
    with Session(sqlite_engine) as s:
        s.add(SeatAssignment(hall="demo", seat="w01-a", window="w01", staff_id="s1", role="A"))
        s.commit()
    from tests.support.auth import logged_in

    client = logged_in(TestClient(app), sqlite_engine, Role.DUTY_CHIEF)
    seat = re.compile(r'id="seat-w01-a" data-state="(\w+)"')
    assert seat.search(client.get("/fragments/hallmap").text).group(1) == "unknown"  # type: ignore[union-attr]
    now = datetime.now(UTC)
    events = [
        make_envelope(
            hall="demo",
            device="w01-a-radar",
            seq=1,
            ts=now - timedelta(seconds=30),
            synced=True,
            body=Presence(seat="w01-a", present=True),
        ),
        make_envelope(
            hall="demo",
            device="w01-a-sign",
            seq=1,
            ts=now - timedelta(seconds=20),
            synced=True,
            body=AwaySign(seat="w01-a"),
            type=EventType.AWAY_SIGN_PLACED,
        ),
    ]
    batch = IngestBatch(events=events[:1], received_at=now)
    for projector in app.state.projectors:
        projector.project(sqlite_engine, batch)
    page = client.get("/fragments/hallmap").text
    assert seat.search(page).group(1) == "on_post"  # type: ignore[union-attr]
    assert "name-s1" in page
    batch = IngestBatch(events=events[1:], received_at=now)
    for projector in app.state.projectors:
        projector.project(sqlite_engine, batch)
    page = client.get("/fragments/hallmap").text
    assert seat.search(page).group(1) == "away"  # type: ignore[union-attr]
    assert "暂停服务牌" in page and "data-since=" in page


def test_leave_approval_follows_the_stages_and_is_audited(
    app: Any, sqlite_engine: Engine, browser_as: Callable[[Role], TestClient]
) -> None:
    lead, chief, office, viewer = (
        browser_as(r) for r in (Role.WINDOW_LEAD, Role.DUTY_CHIEF, Role.SUPERVISOR, Role.VIEWER)
    )
    start = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    wf = app.state.dashboard.attendance.workflow if hasattr(app.state, "dashboard") else None
    if wf is None:  # the dashboard is attached on the first page request
        lead.get("/")
        wf = app.state.dashboard.attendance.workflow
    leave_id = wf.request_leave(
        actor="clerk", staff_id="s1", kind="sick", start=start, end=start + timedelta(hours=8)
    )
    url = f"/attendance/leaves/{leave_id}/decide"
    assert f"leave-{leave_id}" in viewer.get("/attendance").text
    assert 'class="approve"' not in viewer.get("/attendance").text
    assert viewer.post(url, data={"csrf_token": viewer.csrf}).status_code == 403
    assert lead.post(url, data={"approve": "1"}).status_code == 403  # no CSRF token
    r = lead.post(url, data={"approve": "1", "why": "ok", "csrf_token": lead.csrf})
    assert r.status_code == 303
    assert wf.get_leave(leave_id)["status"] == "dept_approved"
    r = chief.post(url, data={"approve": "1", "csrf_token": chief.csrf})
    assert r.status_code == 403  # rule ATT-5: the office stage is 督查考核科's
    r = office.post(url, data={"approve": "1", "why": "证明齐全", "csrf_token": office.csrf})
    assert r.status_code == 303
    leave = wf.get_leave(leave_id)
    assert (leave["status"], leave["dept_by"], leave["office_by"]) == (
        "approved",
        "u-window_lead",
        "u-supervisor",
    )
    entries = [e for e in audit_entries(sqlite_engine) if e.entity == "leave"]
    assert [(e.actor, e.why, e.after["status"]) for e in reversed(entries)] == [
        ("u-window_lead", "ok", "dept_approved"),
        ("u-supervisor", "证明齐全", "approved"),
    ]
    assert office.post(url, data={"csrf_token": office.csrf}).status_code == 409
    export = office.get("/api/attendance/report/2026-11?format=csv")
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]


def test_a_refused_approval_is_shown_on_a_page(
    app: Any, sqlite_engine: Engine, browser_as: Callable[[Role], TestClient]
) -> None:
    add_staff(sqlite_engine, ("s9", "tax", "w08"))  # the only staff of window w08
    office = browser_as(Role.SUPERVISOR)
    wf = app.state.dashboard.attendance.workflow
    start = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    leave_id = wf.request_leave(
        actor="clerk", staff_id="s9", kind="annual", start=start, end=start + timedelta(hours=8)
    )
    url = f"/attendance/leaves/{leave_id}/decide"
    assert office.post(url, data={"csrf_token": office.csrf}).status_code == 303
    r = office.post(url, data={"csrf_token": office.csrf})
    assert r.status_code == 409 and "ATT-7" in r.text and 'id="error-message"' in r.text
    assert wf.get_leave(leave_id)["status"] == "dept_approved"


def test_leave_request_and_correction_forms(
    app: Any, sqlite_engine: Engine, browser_as: Callable[[Role], TestClient]
) -> None:
    add_staff(sqlite_engine, ("s3", "tax", "w02"), ("s4", "tax", "w02"))
    lead, office = browser_as(Role.WINDOW_LEAD), browser_as(Role.SUPERVISOR)
    page = lead.get("/attendance?day=2026-11-24").text
    assert 'id="leave-form"' in page and 'id="correction-form"' not in page
    form = {
        "staff_id": "s3",
        "kind": "personal",
        "start": "2026-11-24T08:30",
        "end": "2026-11-24T12:00",
        "reason": "家中有事",
        "csrf_token": lead.csrf,
    }
    r = lead.post("/attendance/leaves", data=form)
    assert r.status_code == 303
    wf = app.state.dashboard.attendance.workflow
    (leave,) = [lv for lv in wf.list_leaves() if lv["staff_id"] == "s3"]
    assert (leave["status"], leave["requested_by"], leave["kind"]) == (
        "pending",
        "u-window_lead",
        "personal",
    )
    assert leave["start"] == datetime(2026, 11, 24, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
    bad = lead.post("/attendance/leaves", data={**form, "kind": "holiday"})
    assert bad.status_code == 409 and "unknown leave kind" in bad.text
    fix = {"staff_id": "s4", "at": "2026-11-24T08:20", "reason": "机器故障", "checkpoint": "AM_IN"}
    assert (
        lead.post("/attendance/corrections", data={**fix, "csrf_token": lead.csrf}).status_code
        == 403
    )
    r = office.post("/attendance/corrections", data={**fix, "csrf_token": office.csrf})
    assert r.status_code == 303
    day = office.get("/attendance?day=2026-11-24").text
    assert re.search(r"上午到岗 08:20 ✓\*", day)  # counted as a punch, shown as corrected
    actions = {e.action: e.actor for e in audit_entries(sqlite_engine)}
    assert actions["leave.request"] == "u-window_lead"
    assert actions["correction.add"] == "u-supervisor"


def test_alert_feed_joins_the_areas_and_resolving_is_audited(
    sqlite_engine: Engine, browser_as: Callable[[Role], TestClient]
) -> None:
    from hub.fleet.tables import Alert
    from hub.ratings.tables import RatingAlertRow

    now = datetime.now(UTC)
    with Session(sqlite_engine) as s:
        s.add(
            Alert(
                hall="demo",
                device="w03-led",
                kind="offline",
                severity="critical",
                message="w03-led offline",
                state="open",
                opened_at=now - timedelta(minutes=5),
            )
        )
        s.add(
            RatingAlertRow(
                hall="demo",
                kind="contact_overdue",
                rule="RATE-3",
                ref="followup:7",
                window="w03",
                text="回访超时",
                at=now,
            )
        )
        s.commit()
    viewer, chief = browser_as(Role.VIEWER), browser_as(Role.DUTY_CHIEF)
    page = viewer.get("/alerts").text
    assert page.index("回访超时") < page.index("设备离线")  # newest first, in words
    assert "/resolve" not in page  # a viewer sees no button
    assert "/resolve" in chief.get("/alerts").text
    r = chief.post("/alerts/1/resolve", data={"why": "换了电源", "csrf_token": chief.csrf})
    assert r.status_code == 303
    with Session(sqlite_engine) as s:
        alert = s.get(Alert, 1)
        assert alert is not None and (alert.state, alert.resolved_by) == (
            "resolved",
            "u-duty_chief",
        )
    (entry,) = [e for e in audit_entries(sqlite_engine) if e.action == "alert.resolve"]
    assert (entry.actor, entry.why) == ("u-duty_chief", "换了电源")
