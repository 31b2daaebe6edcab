"""Every page reached from the interface speaks the reader's language: no missing words, no
English or bare codes on a Chinese page, no raw JSON (point 18.4)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.attendance.calendar import WorkCalendar
from hub.compliance.tables import ViolationRow
from hub.dashboard import i18n
from hub.dashboard.web import NAV
from hub.demo.seed import seed_staff
from hub.fleet.alerts import raise_alert
from hub.fleet.tables import Alert, OpeningCheck
from hub.users.accounts import Role, audit
from tests.hub.dashboard.test_alerts_page import seed_alerts
from tests.support.pages import crawl, leaks

UNCONVERTED: tuple[str, ...] = ()
"""Pages whose owners have not yet moved their words to the .po files (roster helper: duty
pages; hub/duty/words.py). Crawled and checked for missing keys and JSON, not yet for leaks;
remove a prefix once its pages pass."""
USERS = ("clerk", "test")
"""Account names the seeded records show (data, not words)."""


def seed_a_day(app: Any, engine: Engine) -> None:
    """Staff on every seat, a leave at each stage, device alerts and an opening check."""
    hall = app.state.halls[0]
    seed_staff(engine, hall)
    now = datetime.now(UTC)
    with Session(engine) as s:
        for kind, severity in (("offline", "error"), ("fault:rating_stray_reason", "warning")):
            s.add(
                Alert(
                    hall="demo",
                    device="w01-rate",
                    kind=kind,
                    severity=severity,
                    message="english text from the device",
                    opened_at=now,
                )
            )
        s.add(
            OpeningCheck(
                hall="demo",
                day=date.today(),
                due_at=now,
                checked_at=now,
                checked=4,
                ok=False,
                problems=[
                    {
                        "device": "w01-face",
                        "kind": "face_terminal",
                        "status": "offline",
                        "reasons": ["offline", "fault camera: no frames"],
                    }
                ],
            )
        )
        s.commit()
    seed_alerts(engine)
    start = now - timedelta(minutes=20)
    with Session(engine) as s:
        for rule, seat, values in (
            ("POST-2", "w07-a", {"minutes": 3.5}),
            ("POST-6", "w08-a", {"minutes": 90, "cover": "none"}),
        ):
            s.add(
                ViolationRow(
                    hall="demo",
                    window=seat[:3],
                    seat=seat,
                    staff_id="S071",
                    day=date.today(),
                    rule=rule,
                    start=start,
                    end=now,
                    detail="english detail",
                    first_seen_at=now,
                )
            )
            raise_alert(
                s,
                hall="demo",
                subject=seat,
                kind=f"{rule}@{start.isoformat()}",
                now=now,
                source="compliance",
                words=f"violation.{rule}",
                values=values,
                rule=rule,
                window=seat[:3],
                seat=seat,
            )
        s.commit()
    audit(
        engine,
        actor="clerk",
        action="leave.approve",
        entity="leave",
        entity_id=1,
        why="证明齐全",
        before={"status": "pending"},
        after={"status": "dept_approved", "stage": "department"},
    )
    audit(engine, actor="clerk", action="POST /api/queue/take", entity="api", entity_id="/api/x")
    seed_the_demo_records(engine, hall, now)


def seed_the_demo_records(engine: Engine, hall: Any, now: datetime) -> None:
    """What the demo hall's day leaves that the office-day crawl met raw (codes, device ids):
    the duty month (roster, checks, flags: DUTY-1..5), a complaint from the public page worked
    to its answer (DUTY-6), a call-back from the kiosk and a promised case (DEV-4, QUEUE-5)."""
    from hub.complaints import store
    from hub.complaints.callbacks import open_callback
    from hub.duty.demo import seed_duty
    from hub.queue.cases import CASE

    seed_duty(engine, hall, now)
    tz, workday = ZoneInfo(hall.timezone), WorkCalendar().is_workday
    new = store.NewComplaint(channel="public_page", subject="材料", text="没有一次性告知材料清单")
    taken = store.take(engine, hall.id, new, actor="citizen", now=now, tz=tz, is_workday=workday)
    for step, values in (
        ("assign", {"assignee": "clerk"}),
        ("investigate", {"window": "w03"}),
        ("answer", {"finding": "partly", "told_how": "phone", "note": "已张贴材料清单"}),
    ):
        store.act(engine, taken.id, step, "clerk", now, **values)  # type: ignore[arg-type]
    open_callback(
        engine,
        hall.id,
        source="hall-kiosk",
        service="property",
        note="取号纸用完，请回电",
        contact=None,
        now=now,
        tz=tz,
        is_workday=workday,
    )
    with engine.begin() as conn:
        conn.execute(
            CASE.insert().values(
                hall=hall.id,
                day=now.astimezone(tz).date().isoformat(),
                ticket="C001",
                service="property",
                window="w03",
                staff="S031",
                case_no="BDC-2026-001",
                accepted_at=now,
                due_at=now + timedelta(days=5),
                note="",
            )
        )


def test_every_page_of_the_interface_is_in_chinese_and_in_english(
    app: Any, sqlite_engine: Engine, browser_as: Callable[[Role], TestClient]
) -> None:
    admin = browser_as(Role.ADMIN)
    admin.get("/")
    seed_a_day(app, sqlite_engine)
    wf = app.state.dashboard.attendance.workflow
    start = datetime.now(ZoneInfo("Asia/Shanghai")).replace(hour=8, minute=30)  # the hall's day
    wf.request_leave(
        actor="clerk",
        staff_id="S011",
        kind="personal",
        start=start,
        end=start + timedelta(hours=8),
        reason="发烧",
    )
    starts = [href for href, _ in NAV]
    i18n.clear_missed()
    pages = crawl(admin, starts)
    assert len(pages) >= len(NAV)
    for path, r in pages.items():
        kind = r.headers.get("content-type", "")
        assert r.status_code == 200, (path, r.status_code, r.text[:200])
        assert not kind.startswith("application/json"), (
            f"raw JSON reached from the interface: {path}"
        )
        if kind.startswith("text/html"):
            assert 'lang="zh-CN"' in r.text
            if not path.startswith(UNCONVERTED):
                assert not leaks(r.text, USERS), (path, leaks(r.text, USERS))
    assert not i18n.missed(), i18n.missed()
    english = crawl(admin, [f"{href}?lang=en" for href in starts])
    assert all(
        'lang="en"' in r.text
        for r in english.values()
        if "html" in r.headers.get("content-type", "")
    )
    assert not i18n.missed(), i18n.missed()
